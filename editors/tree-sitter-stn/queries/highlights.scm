; Highlights for stn (`.stn` kernel files).
;
; Patterns that could match the same node are kept disjoint with #any-of? /
; #not-any-of?, so the result does not depend on whether an editor lets the
; first or the last matching pattern win.
;
; The name lists are the language's own: dtypes (src/base/dtype.rs), builtin
; functions and reductions (src/check/names.rs), boundary modes and their
; one-word aliases (src/base/mode.rs).

; ---- comments and literals ----

(comment) @comment

(integer) @number

(float) @number.float

(boolean) @boolean

; ---- keywords ----

[
  "const"
  "let"
  "boundary"
] @keyword

"kernel" @keyword.function

[
  "if"
  "else"
] @keyword.conditional

"in" @keyword.repeat

[
  "and"
  "or"
  "not"
] @keyword.operator

; ---- operators and punctuation ----

[
  "+"
  "-"
  "*"
  "/"
  "//"
  "%"
  "**"
  "&"
  "|"
  "^"
  "~"
  "<<"
  ">>"
  "=="
  "!="
  "<"
  "<="
  ">"
  ">="
  "="
  "->"
  "..="
] @operator

[
  "("
  ")"
  "["
  "]"
  "{"
  "}"
] @punctuation.bracket

[
  ","
  ";"
  ":"
] @punctuation.delimiter

; ---- definitions ----

(kernel_definition
  name: (identifier) @function)

(const_definition
  name: (identifier) @constant)

(parameter
  name: (identifier) @variable.parameter)

(range_variable
  name: (identifier) @variable)

(let_statement
  pattern: (identifier) @variable)

(tuple_pattern
  (identifier) @variable)

; ---- types ----

((type_identifier) @type.builtin
  (#any-of? @type.builtin
    "bool" "i8" "i16" "i32" "i64" "u8" "u16" "u32" "u64" "f32" "f64"))

((type_identifier) @type
  (#not-any-of? @type
    "bool" "i8" "i16" "i32" "i64" "u8" "u16" "u32" "u64" "f32" "f64"))

; ---- boundary modes ----

((boundary
  mode: (identifier) @constant.builtin)
  (#any-of? @constant.builtin
    "fill" "constant" "nearest" "reflect" "mirror" "wrap" "periodic"))

((boundary
  mode: (identifier) @constant)
  (#not-any-of? @constant
    "fill" "constant" "nearest" "reflect" "mirror" "wrap" "periodic"))

; ---- calls and reductions ----

; A cast is a call named by a dtype: `f32(x)`.
(call_expression
  function: (identifier) @type.builtin
  (#any-of? @type.builtin
    "bool" "i8" "i16" "i32" "i64" "u8" "u16" "u32" "u64" "f32" "f64"))

(call_expression
  function: (identifier) @function.builtin
  (#any-of? @function.builtin
    "abs" "min" "max" "clamp" "sqrt" "exp" "log" "sin" "cos" "tan" "tanh"
    "floor" "ceil" "round" "pow" "hypot" "isnan" "where" "index" "shape"))

; Anything else called is a kernel of the file (a stage).
(call_expression
  function: (identifier) @function.call
  (#not-any-of? @function.call
    "bool" "i8" "i16" "i32" "i64" "u8" "u16" "u32" "u64" "f32" "f64"
    "abs" "min" "max" "clamp" "sqrt" "exp" "log" "sin" "cos" "tan" "tanh"
    "floor" "ceil" "round" "pow" "hypot" "isnan" "where" "index" "shape"))

(reduction_expression
  operator: (identifier) @function.builtin
  (#any-of? @function.builtin "sum" "prod" "min" "max" "median" "rank"))

(reduction_expression
  operator: (identifier) @function.call
  (#not-any-of? @function.call "sum" "prod" "min" "max" "median" "rank"))

; ---- names in expressions ----

; By convention consts are written in capitals: `K[i + 1, j + 1]`.
((index_expression
  array: (identifier) @constant)
  (#match? @constant "^[A-Z][A-Z0-9_]*$"))

((index_expression
  array: (identifier) @variable)
  (#not-match? @variable "^[A-Z][A-Z0-9_]*$"))
