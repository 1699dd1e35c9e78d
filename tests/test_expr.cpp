// test_expr.cpp: the expression parser: Python's precedence, the exact graphs micrograd would
// build, gradients, and error messages with columns.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "micrograd/expr.hpp"

using micrograd::ExprError;
using micrograd::Value;
using micrograd::Variables;

namespace {
double eval(const std::string& text, const Variables& vars = {}) {
  return micrograd::parse_expression(text, vars).data();
}
// The ExprError for `text`, or fails the test.
ExprError error_of(const std::string& text, const Variables& vars = {}) {
  try {
    (void)micrograd::parse_expression(text, vars);
  } catch (const ExprError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << text;
  return ExprError(0, "", "");
}
}  // namespace

TEST(Expr, LectureExpressionValueAndGrads) {
  micrograd::TapeScope scope;
  Value a(2.0, "a"), b(-3.0, "b"), c(10.0, "c"), f(-2.0, "f");
  Value L = micrograd::parse_expression("(a*b + c)*f", {{"a", a}, {"b", b}, {"c", c}, {"f", f}});
  EXPECT_EQ(L.data(), -8.0);
  L.backward();
  EXPECT_EQ(a.grad(), 6.0);
  EXPECT_EQ(b.grad(), -4.0);
  EXPECT_EQ(c.grad(), -2.0);
  EXPECT_EQ(f.grad(), 4.0);
  // The graph is micrograd's: (a*b) + c, then * f: 3 op nodes above the 4 leaves.
  EXPECT_EQ(L.op_string(), "*");
  EXPECT_EQ(L.children()[0].op_string(), "+");
  EXPECT_EQ(L.children()[0].children()[0].op_string(), "*");
}

TEST(Expr, Neuron) {
  micrograd::TapeScope scope;
  Variables v{{"x1", Value(2.0)},
              {"x2", Value(0.0)},
              {"w1", Value(-3.0)},
              {"w2", Value(1.0)},
              {"b", Value(6.8813735870195432)}};
  Value o = micrograd::parse_expression("tanh(x1*w1 + x2*w2 + b)", v);
  EXPECT_NEAR(o.data(), 0.7071067811865476, 1e-15);
  o.backward();
  EXPECT_NEAR(v["x1"].grad(), -1.5, 1e-12);
  EXPECT_NEAR(v["w1"].grad(), 1.0, 1e-12);
  EXPECT_NEAR(v["x2"].grad(), 0.5, 1e-12);
  EXPECT_EQ(v["w2"].grad(), 0.0);
}

TEST(Expr, PrecedenceLikePython) {
  micrograd::TapeScope scope;
  EXPECT_EQ(eval("1 + 2 * 3"), 7.0);
  EXPECT_EQ(eval("(1 + 2) * 3"), 9.0);
  EXPECT_EQ(eval("-2**2"), -4.0);     // -(2**2)
  EXPECT_EQ(eval("2**3**2"), 512.0);  // right-associative
  EXPECT_EQ(eval("2**-1"), 0.5);      // exponent may carry a sign
  EXPECT_EQ(eval("8 / 2 / 2"), 2.0);  // left-associative
  EXPECT_EQ(eval("10 - 3 - 2"), 5.0);
  EXPECT_EQ(eval("--3"), 3.0);
  EXPECT_EQ(eval("+-+3"), -3.0);
  EXPECT_EQ(eval("1e-3 * 1000"), 1.0);
  EXPECT_EQ(eval(".5 + 2.E1"), 20.5);
  EXPECT_EQ(eval("  7  "), 7.0);
  Value x(3.0);
  EXPECT_EQ(eval("-x**2", {{"x", x}}), -9.0);
  EXPECT_EQ(eval("(-x)**2", {{"x", x}}), 9.0);
}

TEST(Expr, FunctionsHaveExactValues) {
  micrograd::TapeScope scope;
  Value x(0.5);
  const Variables v{{"x", x}};
  EXPECT_EQ(eval("exp(x)", v), std::exp(0.5));
  EXPECT_EQ(eval("log(x)", v), std::log(0.5));
  EXPECT_EQ(eval("tanh(x)", v), std::tanh(0.5));
  EXPECT_EQ(eval("relu(-x)", v), 0.0);
  EXPECT_EQ(eval("relu(x)", v), 0.5);
  EXPECT_EQ(eval("sigmoid(x)", v), 1.0 / (1.0 + std::exp(-0.5)));
  // A function of a number still makes a node (a leaf for the number, then the op).
  Value e = micrograd::parse_expression("exp(0)", {});
  EXPECT_EQ(e.data(), 1.0);
  EXPECT_EQ(e.op_string(), "exp");
}

TEST(Expr, BuildsTheSameGraphAsPython) {
  micrograd::TapeScope scope;
  Value a(2.0), b(3.0);
  const Variables v{{"a", a}, {"b", b}};
  // a*2: a * Value(2.0)
  Value m = micrograd::parse_expression("a*2", v);
  EXPECT_EQ(m.op_string(), "*");
  EXPECT_EQ(m.children()[0].id(), a.id());
  EXPECT_EQ(m.children()[1].data(), 2.0);
  // 2*a: __rmul__ -> a * Value(2.0), a first
  Value r = micrograd::parse_expression("2*a", v);
  EXPECT_EQ(r.children()[0].id(), a.id());
  // x**2 with a literal exponent: the "**2" node with a single child
  Value p = micrograd::parse_expression("a**2", v);
  EXPECT_EQ(p.op_string(), "**2");
  EXPECT_EQ(p.children().size(), 1u);
  EXPECT_EQ(p.data(), 4.0);
  // 2**x: pow(double, Value), two children
  Value q = micrograd::parse_expression("2**b", v);
  EXPECT_EQ(q.data(), 8.0);
  EXPECT_EQ(q.children().size(), 2u);
  EXPECT_EQ(q.children()[1].id(), b.id());
  // a**b: pow(Value, Value)
  Value ab = micrograd::parse_expression("a**b", v);
  EXPECT_EQ(ab.data(), 8.0);
  EXPECT_EQ(ab.children()[0].id(), a.id());
  EXPECT_EQ(ab.children()[1].id(), b.id());
  // 2*3 is a number: one leaf, no op node
  Value six = micrograd::parse_expression("2*3", v);
  EXPECT_TRUE(six.is_leaf());
  EXPECT_EQ(six.data(), 6.0);
  // a/b is a * b**-1, a-b is a + (-b), -a is a * -1
  EXPECT_EQ(micrograd::parse_expression("a/b", v).children()[1].op_string(), "**-1");
  EXPECT_EQ(micrograd::parse_expression("a-b", v).op_string(), "+");
  EXPECT_EQ(micrograd::parse_expression("-a", v).op_string(), "*");
}

TEST(Expr, GradientsOfPowAndDivision) {
  micrograd::TapeScope scope;
  Value a(2.0), b(3.0);
  Value y = micrograd::parse_expression("a**b / b + 1/a", {{"a", a}, {"b", b}});
  EXPECT_DOUBLE_EQ(y.data(), 8.0 / 3.0 + 0.5);
  y.backward();
  // d/da = b*a**(b-1)/b - 1/a**2 = 4 - 0.25; d/db = a**b*ln(a)/b - a**b/b**2
  EXPECT_DOUBLE_EQ(a.grad(), 3.75);
  EXPECT_DOUBLE_EQ(b.grad(), 8.0 * std::log(2.0) / 3.0 - 8.0 / 9.0);
}

TEST(Expr, SameVariableTwiceAccumulates) {
  micrograd::TapeScope scope;
  Value a(3.0);
  Value y = micrograd::parse_expression("a*a + a", {{"a", a}});
  y.backward();
  EXPECT_EQ(y.data(), 12.0);
  EXPECT_EQ(a.grad(), 7.0);
}

TEST(Expr, SyntaxErrorsCarryColumns) {
  micrograd::TapeScope scope;
  const Variables v{{"a", Value(1.0)}, {"b", Value(2.0)}};
  ExprError e = error_of("(a + b", v);
  EXPECT_EQ(e.column(), 7);
  EXPECT_EQ(std::string(e.what()), "column 7: expected ')' (to close the '(' at column 1)");
  e = error_of("a + * b", v);
  EXPECT_EQ(e.column(), 5);
  EXPECT_EQ(std::string(e.what()), "column 5: expected a number, a variable or '(' but found '*'");
  EXPECT_EQ(error_of("a +", v).column(), 4);
  EXPECT_EQ(error_of("", v).column(), 1);
  EXPECT_EQ(error_of("a b", v).column(), 3);
  EXPECT_EQ(error_of("a)", v).column(), 2);
  EXPECT_EQ(error_of("2a", v).column(), 2);
  EXPECT_EQ(error_of("1e+", v).column(), 1);
  EXPECT_EQ(error_of("a ^ 2", v).column(), 3);
  EXPECT_NE(std::string(error_of("a ^ 2", v).what()).find("use **"), std::string::npos);
  EXPECT_EQ(error_of("a # b", v).column(), 3);
  EXPECT_EQ(error_of("foo(a)", v).column(), 1);
  EXPECT_NE(std::string(error_of("foo(a)", v).what()).find("unknown function 'foo'"),
            std::string::npos);
  EXPECT_EQ(error_of("tanh(a", v).column(), 7);
}

TEST(Expr, UnknownVariable) {
  micrograd::TapeScope scope;
  const ExprError e = error_of("a*q", {{"a", Value(1.0)}});
  EXPECT_EQ(e.column(), 3);
  EXPECT_EQ(std::string(e.what()), "unknown variable 'q' (column 3); pass it as q=NUMBER");
}

TEST(Expr, DeepNestingIsAnErrorNotACrash) {
  micrograd::TapeScope scope;
  const int n = micrograd::kMaxExpressionDepth;
  EXPECT_EQ(eval(std::string(n - 1, '(') + "1" + std::string(n - 1, ')')), 1.0);
  const ExprError e = error_of(std::string(100000, '(') + "1" + std::string(100000, ')'));
  EXPECT_NE(std::string(e.what()).find("nested more than 1000"), std::string::npos) << e.what();
  EXPECT_NO_THROW((void)error_of(std::string(100000, '-') + "1"));
  EXPECT_EQ(error_of(std::string(5000, '-') + "1").column(), n + 1);
  // A long flat expression is fine (loops, not recursion).
  std::string sum = "1";
  for (int i = 0; i < 100000; ++i) sum += "+1";
  EXPECT_EQ(eval(sum), 100001.0);
}

TEST(Expr, VariablesInOrder) {
  EXPECT_EQ(micrograd::expression_variables("(a*b + c)*f + a + tanh(b)"),
            (std::vector<std::string>{"a", "b", "c", "f"}));
  EXPECT_TRUE(micrograd::expression_variables("2 + 3").empty());
  EXPECT_THROW((void)micrograd::expression_variables("a +"), ExprError);
}

// Constants and variables follow the same IEEE double arithmetic: "1/0" is inf as "a/0" is at
// a = 1 (it used to be an error), and d(a**0)/da is 0 at a = 0, PyTorch's value (it was nan).
TEST(Expr, ConstantsAndVariablesBehaveAlike) {
  micrograd::TapeScope scope;
  const Value a(1.0), z(0.0);
  EXPECT_EQ(micrograd::parse_expression("1/0", {}).data(), HUGE_VAL);
  EXPECT_EQ(micrograd::parse_expression("a/0", {{"a", a}}).data(), HUGE_VAL);
  Value p = micrograd::parse_expression("z**0", {{"z", z}});
  p.backward();
  EXPECT_EQ(p.data(), 1.0);
  EXPECT_EQ(z.grad(), 0.0);
  const Value b(0.0);
  Value q = micrograd::parse_expression("b**c", {{"b", b}, {"c", Value(0.0)}});
  q.backward();
  EXPECT_EQ(b.grad(), 0.0);
  // Numbers are doubles (as Values are): 10**16 + 1 rounds to 10**16.
  EXPECT_EQ(micrograd::parse_expression("(10**16 + 1 - 10**16) * a", {{"a", a}}).data(), 0.0);
}

TEST(Statements, TheLecturesExpressionWithItsNames) {
  micrograd::Variables v{{"a", micrograd::Value(2.0, "a")},
                         {"b", micrograd::Value(-3.0, "b")},
                         {"c", micrograd::Value(10.0, "c")},
                         {"f", micrograd::Value(-2.0, "f")}};
  const micrograd::Value L = micrograd::parse_statements("e = a*b; d = e + c\nL = d*f", v);
  EXPECT_EQ(L.data(), -8.0);
  EXPECT_EQ(L.label(), "L");
  EXPECT_EQ(v.at("e").label(), "e");
  EXPECT_EQ(v.at("e").data(), -6.0);
  EXPECT_EQ(v.at("d").data(), 4.0);
  L.backward();
  EXPECT_EQ(v.at("a").grad(), 6.0);
  EXPECT_EQ(v.at("d").grad(), -2.0);
}

TEST(Statements, DefinitionsNumbersAndAliases) {
  micrograd::Variables v;
  const micrograd::Value y = micrograd::parse_statements(" x = 3 ;; ; w = x\n x*w + 1 ", v);
  EXPECT_EQ(y.data(), 10.0);
  EXPECT_EQ(y.label(), "");
  EXPECT_EQ(v.at("x").label(), "x");          // a number defined by name is a leaf labelled so
  EXPECT_EQ(v.at("w").id(), v.at("x").id());  // w = x names x's node
  EXPECT_EQ(v.at("x").label(), "x");
  EXPECT_EQ(micrograd::statements_variables("e = a*b; d = e + c; L = d*f"),
            (std::vector<std::string>{"a", "b", "c", "f"}));
}

TEST(Statements, ErrorsCountColumnsFromTheStart) {
  micrograd::Variables v{{"a", micrograd::Value(1.0)}};
  try {
    micrograd::parse_statements("e = a*2; d = e +", v);
    FAIL() << "no error";
  } catch (const micrograd::ExprError& e) {
    EXPECT_EQ(e.column(), 17);
    EXPECT_STREQ(e.what(), ("column 17: " + e.reason()).c_str());
  }
  try {
    micrograd::parse_statements("x = q", v);
    FAIL() << "no error";
  } catch (const micrograd::ExprError& e) {
    EXPECT_EQ(e.column(), 5);
    EXPECT_EQ(e.reason(), "unknown variable 'q'");
    EXPECT_STREQ(e.what(), "unknown variable 'q' (column 5); pass it as q=NUMBER");
  }
  EXPECT_THROW(micrograd::parse_statements(" ;\n ", v), micrograd::ExprError);
  EXPECT_THROW(micrograd::parse_statements("a == 1", v),
               micrograd::ExprError);  // == is not an assignment
}
