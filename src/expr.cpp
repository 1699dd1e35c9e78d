// expr.cpp: the expression parser of expr.hpp: a hand-written lexer and a recursive-descent parser
// whose recursion is bounded by kMaxExpressionDepth.
// Not here: any evaluation rule of its own; every Value op is the engine's (value.hpp).
#include "micrograd/expr.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace micrograd {
namespace {

enum class Tok { Number, Name, Plus, Minus, Star, Slash, Pow, LParen, RParen, End };

struct Token {
  Tok kind = Tok::End;
  std::size_t pos = 0;  // 0-based byte offset of the first character
  std::string_view text;
  double number = 0.0;
};

// An operand while parsing: a plain number (Python float) or a Value.
struct Operand {
  bool is_value = false;
  double number = 0.0;
  Value value;
};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::string_view kFunctions[] = {"exp", "log", "tanh", "relu", "sigmoid"};

class Parser {
 public:
  Parser(std::string_view text, const Variables* variables) : text_(text), vars_(variables) {
    advance();
  }

  Operand parse() {
    Operand out = expr();
    if (tok_.kind != Tok::End) {
      if (tok_.kind == Tok::RParen) error(tok_.pos, "unmatched ')'");
      error(tok_.pos, "unexpected '" + std::string(tok_.text) +
                          "' after a complete expression (missing operator?)");
    }
    return out;
  }

  const std::vector<std::string>& names() const { return names_; }

 private:
  [[noreturn]] void error(std::size_t pos, const std::string& reason) const {
    const int column = static_cast<int>(pos) + 1;
    throw ExprError(column, reason, "column " + std::to_string(column) + ": " + reason);
  }

  // ---- lexer: reads the next token into tok_
  void advance() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    tok_ = Token{};
    tok_.pos = pos_;
    if (pos_ >= text_.size()) {
      tok_.text = "end of input";
      return;
    }
    const char c = text_[pos_];
    auto single = [&](Tok kind, std::size_t len) {
      tok_.kind = kind;
      tok_.text = text_.substr(pos_, len);
      pos_ += len;
    };
    if (is_digit(c) || (c == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1]))) {
      lex_number();
    } else if (is_name_start(c)) {
      std::size_t end = pos_;
      while (end < text_.size() && is_name_char(text_[end])) ++end;
      single(Tok::Name, end - pos_);
    } else if (c == '*' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
      single(Tok::Pow, 2);
    } else if (c == '+') {
      single(Tok::Plus, 1);
    } else if (c == '-') {
      single(Tok::Minus, 1);
    } else if (c == '*') {
      single(Tok::Star, 1);
    } else if (c == '/') {
      single(Tok::Slash, 1);
    } else if (c == '(') {
      single(Tok::LParen, 1);
    } else if (c == ')') {
      single(Tok::RParen, 1);
    } else if (c == '^') {
      error(pos_, "unexpected character '^' (use ** for powers)");
    } else {
      const bool printable = std::isprint(static_cast<unsigned char>(c));
      error(pos_, printable ? "unexpected character '" + std::string(1, c) + "'"
                            : "unexpected byte " + std::to_string(static_cast<unsigned char>(c)));
    }
  }

  void lex_number() {
    const std::size_t start = pos_;
    std::size_t end = pos_;
    while (end < text_.size() && is_digit(text_[end])) ++end;
    if (end < text_.size() && text_[end] == '.') {
      ++end;
      while (end < text_.size() && is_digit(text_[end])) ++end;
    }
    if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
      std::size_t e = end + 1;
      if (e < text_.size() && (text_[e] == '+' || text_[e] == '-')) ++e;
      if (e >= text_.size() || !is_digit(text_[e]))
        error(start, "malformed number '" + std::string(text_.substr(start, e - start)) +
                         "' (expected digits after the exponent)");
      while (e < text_.size() && is_digit(text_[e])) ++e;
      end = e;
    }
    const std::string_view digits = text_.substr(start, end - start);
    if (end < text_.size() && (is_name_char(text_[end]) || text_[end] == '.')) {
      std::size_t stop = end;
      while (stop < text_.size() && is_name_char(text_[stop])) ++stop;
      error(end, "unexpected '" +
                     std::string(text_.substr(end, std::max<std::size_t>(stop - end, 1))) +
                     "' after the number " + std::string(digits) + " (missing '*'?)");
    }
    double x = 0.0;
#ifdef __EMSCRIPTEN__  // its libc++ has no from_chars for double; the lexer checked the syntax
    const std::string copy_for_strtod(digits);
    char* parsed_end = nullptr;
    x = std::strtod(copy_for_strtod.c_str(), &parsed_end);
    const char* ptr = digits.data() + (parsed_end - copy_for_strtod.c_str());
    const std::errc ec{};
#else
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
#endif
    if (ec == std::errc::result_out_of_range) {  // 1e999 is inf and 1e-999 is 0.0, as in Python
      const std::string copy(digits);
      x = std::strtod(copy.c_str(), nullptr);
    } else if (ec != std::errc() || ptr != digits.data() + digits.size()) {
      error(start, "malformed number '" + std::string(digits) + "'");
    }
    tok_.kind = Tok::Number;
    tok_.text = digits;
    tok_.number = x;
    pos_ = end;
  }

  // ---- grammar
  Operand expr() {
    Operand left = term();
    while (tok_.kind == Tok::Plus || tok_.kind == Tok::Minus) {
      const Tok op = tok_.kind;
      advance();
      Operand right = term();
      left = op == Tok::Plus ? combine_add(left, right) : combine_sub(left, right);
    }
    return left;
  }

  Operand term() {
    Operand left = unary();
    while (tok_.kind == Tok::Star || tok_.kind == Tok::Slash) {
      const Token op = tok_;
      advance();
      Operand right = unary();
      left = op.kind == Tok::Star ? combine_mul(left, right) : combine_div(left, right, op.pos);
    }
    return left;
  }

  // Every recursive path (parentheses, unary signs, exponents) passes through here: the depth
  // limit keeps a hostile "((((...))))" from overflowing the stack.
  Operand unary() {
    if (++depth_ > kMaxExpressionDepth)
      error(tok_.pos,
            "expression nested more than " + std::to_string(kMaxExpressionDepth) + " levels deep");
    Operand out;
    if (tok_.kind == Tok::Minus) {
      advance();
      out = negate(unary());
    } else if (tok_.kind == Tok::Plus) {
      advance();
      out = unary();
    } else {
      out = power();
    }
    --depth_;
    return out;
  }

  Operand power() {
    Operand base = primary();
    if (tok_.kind == Tok::Pow) {
      advance();
      Operand exponent = unary();
      return combine_pow(base, exponent);
    }
    return base;
  }

  Operand primary() {
    const Token t = tok_;
    switch (t.kind) {
      case Tok::Number: {
        advance();
        Operand out;
        out.number = t.number;
        return out;
      }
      case Tok::Name: {
        advance();
        if (tok_.kind == Tok::LParen) return call(t);
        return variable(t);
      }
      case Tok::LParen: {
        advance();
        Operand inner = expr();
        expect_close(t.pos);
        return inner;
      }
      case Tok::End:
        error(t.pos, "expected a number, a variable or '(' but the expression ended");
      default:
        error(t.pos,
              "expected a number, a variable or '(' but found '" + std::string(t.text) + "'");
    }
  }

  void expect_close(std::size_t open_pos) {
    if (tok_.kind != Tok::RParen)
      error(tok_.pos,
            "expected ')' (to close the '(' at column " + std::to_string(open_pos + 1) + ")");
    advance();
  }

  Operand call(const Token& name) {
    const auto known = std::find(std::begin(kFunctions), std::end(kFunctions), name.text);
    if (known == std::end(kFunctions))
      error(name.pos, "unknown function '" + std::string(name.text) +
                          "' (known: exp, log, tanh, relu, sigmoid)");
    const Token open = tok_;
    advance();
    Operand arg = expr();
    expect_close(open.pos);
    if (collect_only()) return Operand{};
    const Value x = arg.is_value ? arg.value : Value(arg.number);  // a leaf, so the op is drawn
    Operand out;
    out.is_value = true;
    if (name.text == "exp")
      out.value = exp(x);
    else if (name.text == "log")
      out.value = log(x);
    else if (name.text == "tanh")
      out.value = tanh(x);
    else if (name.text == "relu")
      out.value = relu(x);
    else
      out.value = sigmoid(x);
    return out;
  }

  Operand variable(const Token& name) {
    const std::string key(name.text);
    if (collect_only()) {
      if (std::find(names_.begin(), names_.end(), key) == names_.end()) names_.push_back(key);
      return Operand{};
    }
    const auto it = vars_->find(key);
    if (it == vars_->end()) {
      const int column = static_cast<int>(name.pos) + 1;
      const std::string reason = "unknown variable '" + key + "'";
      throw ExprError(
          column, reason,
          reason + " (column " + std::to_string(column) + "); pass it as " + key + "=NUMBER");
    }
    Operand out;
    out.is_value = true;
    out.value = it->second;
    return out;
  }

  // ---- the operators, as Python dispatches them (number op number stays a number)
  static Operand number(double x) {
    Operand o;
    o.number = x;
    return o;
  }
  static Operand value(Value v) {
    Operand o;
    o.is_value = true;
    o.value = v;
    return o;
  }
  Operand combine_add(const Operand& a, const Operand& b) const {
    if (collect_only()) return {};
    if (!a.is_value && !b.is_value) return number(a.number + b.number);
    if (!a.is_value) return value(a.number + b.value);
    if (!b.is_value) return value(a.value + b.number);
    return value(a.value + b.value);
  }
  Operand combine_sub(const Operand& a, const Operand& b) const {
    if (collect_only()) return {};
    if (!a.is_value && !b.is_value) return number(a.number - b.number);
    if (!a.is_value) return value(a.number - b.value);
    if (!b.is_value) return value(a.value - b.number);
    return value(a.value - b.value);
  }
  Operand combine_mul(const Operand& a, const Operand& b) const {
    if (collect_only()) return {};
    if (!a.is_value && !b.is_value) return number(a.number * b.number);
    if (!a.is_value) return value(a.number * b.value);
    if (!b.is_value) return value(a.value * b.number);
    return value(a.value * b.value);
  }
  Operand combine_div(const Operand& a, const Operand& b, std::size_t pos) const {
    if (collect_only()) return {};
    (void)pos;
    // IEEE arithmetic, as for Values: 1/0 is inf like a/0 at a = 1 (constants and variables
    // behave alike).
    if (!a.is_value && !b.is_value) return number(a.number / b.number);
    if (!a.is_value) return value(a.number / b.value);
    if (!b.is_value) return value(a.value / b.number);
    return value(a.value / b.value);
  }
  Operand combine_pow(const Operand& a, const Operand& b) const {
    if (collect_only()) return {};
    if (!a.is_value && !b.is_value) return number(std::pow(a.number, b.number));
    if (!a.is_value) return value(pow(a.number, b.value));
    if (!b.is_value) return value(pow(a.value, b.number));
    return value(pow(a.value, b.value));
  }
  Operand negate(const Operand& a) const {
    if (collect_only()) return {};
    return a.is_value ? value(-a.value) : number(-a.number);
  }

  bool collect_only() const { return vars_ == nullptr; }

  std::string_view text_;
  const Variables* vars_;  // null: only collect the variable names
  std::size_t pos_ = 0;
  Token tok_;
  int depth_ = 0;
  std::vector<std::string> names_;
};

}  // namespace

Value parse_expression(std::string_view text, const Variables& variables) {
  Parser parser(text, &variables);
  Operand out = parser.parse();
  return out.is_value ? out.value : Value(out.number);
}

std::vector<std::string> expression_variables(std::string_view text) {
  Parser parser(text, nullptr);
  parser.parse();
  return parser.names();
}

namespace {

// Calls f(name, expression, offset) for each non-blank statement of `text` (separated by ';' or
// newlines); name is empty unless the statement is NAME = EXPR; offset is where the expression
// starts in text. Errors from f are re-raised with columns counted from the start of text.
template <class F>
void for_each_statement(std::string_view text, F&& f) {
  std::size_t start = 0;
  bool any = false;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of(";\n", start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view statement = text.substr(start, end - start);
    std::size_t p = 0;
    while (p < statement.size() && std::isspace(static_cast<unsigned char>(statement[p]))) ++p;
    if (p < statement.size()) {
      any = true;
      std::string_view name;
      std::size_t expr_at = 0;
      if (is_name_start(statement[p])) {
        std::size_t q = p;
        while (q < statement.size() && is_name_char(statement[q])) ++q;
        std::size_t r = q;
        while (r < statement.size() && std::isspace(static_cast<unsigned char>(statement[r]))) ++r;
        if (r < statement.size() && statement[r] == '=' &&
            (r + 1 == statement.size() || statement[r + 1] != '=')) {
          name = statement.substr(p, q - p);
          expr_at = r + 1;
        }
      }
      const std::size_t offset = start + expr_at;
      try {
        f(name, statement.substr(expr_at), offset);
      } catch (const ExprError& e) {
        if (offset == 0) throw;
        const int column = e.column() + static_cast<int>(offset);
        std::string message = e.what();  // "column N: ..." or "... (column N); ...": renumbered
        const std::string old_column = "column " + std::to_string(e.column());
        if (const auto at = message.find(old_column); at != std::string::npos)
          message.replace(at, old_column.size(), "column " + std::to_string(column));
        throw ExprError(column, e.reason(), message);
      }
    }
    start = end + 1;
  }
  if (!any) throw ExprError(1, "empty expression", "column 1: empty expression");
}

}  // namespace

Value parse_statements(std::string_view text, Variables& variables) {
  Value last;
  for_each_statement(text, [&](std::string_view name, std::string_view expression, std::size_t) {
    Value v = parse_expression(expression, variables);
    if (!name.empty()) {
      bool is_variable = false;  // `d = a` names a's node, it does not rename it
      for (const auto& [key, value] : variables) is_variable |= value.id() == v.id();
      if (!is_variable) v.set_label(std::string(name));
      variables.insert_or_assign(std::string(name), v);
    }
    last = v;
  });
  return last;
}

std::vector<std::string> statements_variables(std::string_view text) {
  std::vector<std::string> out, defined;
  for_each_statement(text, [&](std::string_view name, std::string_view expression, std::size_t) {
    for (std::string& n : expression_variables(expression))
      if (std::find(defined.begin(), defined.end(), n) == defined.end() &&
          std::find(out.begin(), out.end(), n) == out.end())
        out.push_back(std::move(n));
    if (!name.empty()) defined.emplace_back(name);
  });
  return out;
}

}  // namespace micrograd
