// expr.hpp: a small expression language ("(a*b + c)*f", "tanh(x1*w1 + x2*w2 + b)") that builds a
// micrograd::Value graph, evaluated exactly as Python would evaluate the same text with micrograd.
//
// Grammar (Python's precedence):  expr   := term (('+' | '-') term)*
//                                 term   := unary (('*' | '/') unary)*
//                                 unary  := ('-' | '+') unary | power
//                                 power  := primary ('**' unary)?        (right-associative)
//                                 primary:= NUMBER | NAME | NAME '(' expr ')' | '(' expr ')'
// so -a**2 is -(a**2) and 2**-1 is 0.5. Functions: exp log tanh relu sigmoid.
// Numbers combine as numbers (2*3 is 6.0, no node); a number meeting a Value becomes a leaf the way
// micrograd's __mul__/__rmul__/... make it one; `x**2` with a number exponent is pow(Value, double)
// (micrograd's "**2" node), `2**x` is pow(double, Value), `a**b` is pow(Value, Value). A function
// applied to a plain number makes a leaf for it first, so the op still appears in the graph.
// Nesting is limited (kMaxExpressionDepth) so hostile input cannot overflow the stack.
// Not here: printing or differentiating (value.hpp), the command line (cli/).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "micrograd/value.hpp"

namespace micrograd {

inline constexpr int kMaxExpressionDepth = 1000;  // nested parentheses / unary signs / powers

// A syntax error or an unknown name. what() is e.g. "column 7: expected ')'" or
// "unknown variable 'q' (column 3); pass it as q=NUMBER"; column() is 1-based (bytes).
class ExprError : public std::invalid_argument {
 public:
  ExprError(int column, std::string reason, std::string message)
      : std::invalid_argument(std::move(message)), column_(column), reason_(std::move(reason)) {}
  int column() const { return column_; }
  const std::string& reason() const { return reason_; }  // the message without "column N: "

 private:
  int column_;
  std::string reason_;
};

using Variables = std::map<std::string, Value, std::less<>>;

// Parses `text` and builds its graph on this thread's tape from the Values in `variables`.
// The result is a Value even for a constant expression ("2+3" gives a leaf holding 5.0).
Value parse_expression(std::string_view text, const Variables& variables);

// The variable names `text` uses, in order of first appearance (function names excluded).
// Throws ExprError for syntax errors, like parse_expression.
std::vector<std::string> expression_variables(std::string_view text);

// Statements, as the lecture writes them: "e = a*b; d = e + c; L = d*f" (separated by ';' or
// newlines). NAME = EXPR builds EXPR, labels its node NAME (unless it is another variable's node)
// and adds NAME to `variables` (replacing an earlier one); a statement without NAME = is a plain
// expression. Returns the last statement's Value. Errors: ExprError, columns counted from the
// start of `text` ("column 1: empty expression" for blank text).
Value parse_statements(std::string_view text, Variables& variables);

// The variables statements use before defining them (the ones to pass in), in order.
std::vector<std::string> statements_variables(std::string_view text);

}  // namespace micrograd
