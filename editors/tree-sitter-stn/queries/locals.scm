; Scopes, definitions and references for stn.
;
; A kernel's parameters are visible in its body; a `let` is visible in the
; rest of its block; a reduction's range variables are visible in its body.
; Consts and kernels are file-wide.

(source_file) @local.scope

(kernel_definition) @local.scope

(block) @local.scope

(reduction_expression) @local.scope

(const_definition
  name: (identifier) @local.definition.constant)

(kernel_definition
  name: (identifier) @local.definition.function)

(parameter
  name: (identifier) @local.definition.parameter)

(let_statement
  pattern: (identifier) @local.definition.var)

(tuple_pattern
  (identifier) @local.definition.var)

(range_variable
  name: (identifier) @local.definition.var)

(identifier) @local.reference
