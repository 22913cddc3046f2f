/**
 * @file Tree-sitter grammar for stn, the stencil kernel language (`.stn`).
 * @license MIT OR Apache-2.0
 *
 * This follows grammar/stn.lalrpop rule for rule, so that it accepts the same
 * files: the expression levels are the same layers, loosest first,
 *
 *   or < and < not (prefix) < comparisons (not chaining) < | < ^ < & < << >>
 *      < + - < * / // % < prefix - ~ < ** (right-associative)
 *
 * and every level names only the level below it as an operand, exactly as the
 * lalrpop grammar does (so `a < b < c` and `x ** not y` are errors here too,
 * and `-x ** 2` is `-(x ** 2)` while `2 ** -1` is allowed). Each level is a
 * hidden rule; its operator node is aliased to `binary_expression` or
 * `unary_expression`, so editors see the usual node names.
 *
 * Dtype names, builtin functions, reductions and boundary modes are plain
 * identifiers, as in the lalrpop grammar; queries/highlights.scm tells them
 * apart by name.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

/** One or more `rule`, separated by commas, with an optional trailing comma. */
function comma1(rule) {
  return seq(rule, repeat(seq(',', rule)), optional(','));
}

/**
 * A binary operator level: `left op right`, with the operator as a field.
 * @param {RuleOrLiteral} left
 * @param {RuleOrLiteral} operator
 * @param {RuleOrLiteral} right
 */
function binary(left, operator, right) {
  return seq(
    field('left', left),
    field('operator', operator),
    field('right', right),
  );
}

module.exports = grammar({
  name: 'stn',

  // The lexer skips exactly `[ \t\r\n\f]` and `#` comments.
  extras: $ => [/[ \t\r\n\f]/, $.comment],

  word: $ => $.identifier,

  // Keywords are reserved everywhere, as the lexer makes them: `in` or `not`
  // is never a name, even where a name would fit.
  reserved: {
    global: _ => [
      'kernel', 'const', 'let', 'if', 'else', 'in',
      'and', 'or', 'not', 'true', 'false', 'boundary',
    ],
  },

  rules: {
    source_file: $ => repeat($._item),

    _item: $ => choice($.const_definition, $.kernel_definition),

    // ---- items ----

    const_definition: $ => seq(
      'const',
      field('name', $.identifier),
      '=',
      field('value', $._const_value),
      ';',
    ),

    // A number expression, or a (nested) list of them: a table.
    _const_value: $ => choice($._expression, $.list),

    // `[]`, `[1, 2]`, `[1, 2,]`, `[[1, 2], [3, 4]]`.
    list: $ => seq(
      '[',
      repeat(seq($._const_value, ',')),
      optional($._const_value),
      ']',
    ),

    kernel_definition: $ => seq(
      'kernel',
      field('name', $.identifier),
      field('parameters', $.parameters),
      optional(seq('->', field('output', $._output))),
      optional(field('boundary', $.boundary)),
      field('body', $.block),
    ),

    parameters: $ => seq(
      '(',
      repeat(seq($.parameter, ',')),
      optional($.parameter),
      ')',
    ),

    // `x` (an array input) or `alpha: f32` (a scalar parameter).
    parameter: $ => seq(
      field('name', $.identifier),
      optional(seq(':', field('type', alias($.identifier, $.type_identifier)))),
    ),

    // `-> f32`, or `-> (f32, _)` for several outputs. Names in type places
    // (dtypes, and `_` for the default dtype) are `type_identifier` nodes.
    _output: $ => choice(alias($.identifier, $.type_identifier), $.tuple_type),

    tuple_type: $ => seq('(', comma1(alias($.identifier, $.type_identifier)), ')'),

    boundary: $ => seq('boundary', field('mode', $.identifier)),

    block: $ => seq(
      '{',
      repeat($.let_statement),
      field('value', $._expression),
      '}',
    ),

    let_statement: $ => seq(
      'let',
      field('pattern', choice($.identifier, $.tuple_pattern)),
      '=',
      field('value', $._expression),
      ';',
    ),

    tuple_pattern: $ => seq('(', comma1($.identifier), ')'),

    // ---- expressions, loosest first ----

    _expression: $ => $._or_level,

    _or_level: $ => choice(alias($._or, $.binary_expression), $._and_level),
    _or: $ => binary($._or_level, 'or', $._and_level),

    _and_level: $ => choice(alias($._and, $.binary_expression), $._not_level),
    _and: $ => binary($._and_level, 'and', $._not_level),

    _not_level: $ => choice(alias($._not, $.unary_expression), $._cmp_level),
    _not: $ => seq(field('operator', 'not'), field('operand', $._not_level)),

    // Comparisons do not chain: both sides are one level tighter.
    _cmp_level: $ => choice(alias($._cmp, $.binary_expression), $._bitor_level),
    _cmp: $ => binary(
      $._bitor_level,
      choice('==', '!=', '<', '<=', '>', '>='),
      $._bitor_level,
    ),

    _bitor_level: $ => choice(alias($._bitor, $.binary_expression), $._bitxor_level),
    _bitor: $ => binary($._bitor_level, '|', $._bitxor_level),

    _bitxor_level: $ => choice(alias($._bitxor, $.binary_expression), $._bitand_level),
    _bitxor: $ => binary($._bitxor_level, '^', $._bitand_level),

    _bitand_level: $ => choice(alias($._bitand, $.binary_expression), $._shift_level),
    _bitand: $ => binary($._bitand_level, '&', $._shift_level),

    _shift_level: $ => choice(alias($._shift, $.binary_expression), $._add_level),
    _shift: $ => binary($._shift_level, choice('<<', '>>'), $._add_level),

    _add_level: $ => choice(alias($._add, $.binary_expression), $._mul_level),
    _add: $ => binary($._add_level, choice('+', '-'), $._mul_level),

    _mul_level: $ => choice(alias($._mul, $.binary_expression), $._unary_level),
    _mul: $ => binary($._mul_level, choice('*', '/', '//', '%'), $._unary_level),

    _unary_level: $ => choice(alias($._prefix, $.unary_expression), $._pow_level),
    _prefix: $ => seq(
      field('operator', choice('-', '~')),
      field('operand', $._unary_level),
    ),

    // Right-associative; the exponent is a unary expression (`2 ** -1`).
    _pow_level: $ => choice(alias($._pow, $.binary_expression), $._atom),
    _pow: $ => binary($._atom, '**', $._unary_level),

    _atom: $ => choice(
      $.integer,
      $.float,
      $.boolean,
      $.identifier,
      $.index_expression,
      $.call_expression,
      $.reduction_expression,
      $.parenthesized_expression,
      $.tuple_expression,
      $.if_expression,
    ),

    // `x[i, j]`: a relative access, or a lookup in a const table.
    index_expression: $ => seq(
      field('array', $.identifier),
      '[',
      comma1(field('index', $._expression)),
      ']',
    ),

    // A call and a reduction start alike, `NAME(` and plain arguments each
    // followed by `,`; a reduction then has `NAME in lo..=hi` ranges and a
    // body. The shared prefix keeps the two apart by the first `in`.
    call_expression: $ => seq(
      field('function', $.identifier),
      '(',
      repeat(seq(field('argument', $._expression), ',')),
      optional(field('argument', $._expression)),
      ')',
    ),

    // `sum(i in -1..=1, j in -1..=1) { ... }`, `rank(3, i in -1..=1) { ... }`.
    reduction_expression: $ => seq(
      field('operator', $.identifier),
      '(',
      repeat(seq(field('argument', $._expression), ',')),
      comma1(field('range', $.range_variable)),
      ')',
      field('body', $.block),
    ),

    range_variable: $ => seq(
      field('name', $.identifier),
      'in',
      field('start', $._expression),
      '..=',
      field('end', $._expression),
    ),

    // Parentheses only group.
    parenthesized_expression: $ => seq('(', $._expression, ')'),

    // Two or more: a tuple (a kernel's several outputs).
    tuple_expression: $ => seq(
      '(',
      $._expression,
      ',',
      comma1($._expression),
      ')',
    ),

    if_expression: $ => seq(
      'if',
      field('condition', $._expression),
      field('consequence', $.block),
      'else',
      field('alternative', choice($.block, $.if_expression)),
    ),

    // ---- tokens ----

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    integer: _ => /[0-9]+/,

    float: _ => token(choice(
      /[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?/,
      /[0-9]+[eE][+-]?[0-9]+/,
    )),

    boolean: _ => choice('true', 'false'),

    comment: _ => token(seq('#', /[^\n]*/)),
  },
});
