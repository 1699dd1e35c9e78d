// test_model.cpp: model files: a saved MLP reads back with every parameter and every output bit
// for bit, and every kind of bad file is refused with a message naming the file and the problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common.hpp"
#include "micrograd/model.hpp"
#include "micrograd/random.hpp"

namespace fs = std::filesystem;
using micrograd::load_model;
using micrograd::model_from_json;
using micrograd::nn::MLP;

namespace {
fs::path temp(const std::string& name) {
  return fs::temp_directory_path() / ("micrograd-test-model-" + std::to_string(::getpid()) + name);
}
}  // namespace

TEST(Model, RoundTripIsExact) {
  micrograd::nn::MLPOptions o;
  o.hidden = micrograd::nn::Activation::Tanh;
  o.seed = 3;
  const MLP model(3, {5, 4, 2}, o);
  micrograd::ModelInfo info;
  info.loss = "softmax";
  info.mean = std::vector<double>{0.1, -2.5, 1.0 / 3.0};
  info.std = std::vector<double>{1.0, 0.2, 7.0};
  const fs::path file = temp("round.json");
  micrograd::save_model(file.string(), model, info);
  const micrograd::SavedModel back = load_model(file.string());
  EXPECT_EQ(micrograd::nn::parameters_to_vector(back.mlp),
            micrograd::nn::parameters_to_vector(model));
  ASSERT_EQ(back.mlp.layers().size(), 3u);
  EXPECT_EQ(back.mlp.layers()[0].neurons()[0].activation(), micrograd::nn::Activation::Tanh);
  EXPECT_EQ(back.mlp.layers()[2].neurons()[0].activation(), micrograd::nn::Activation::Linear);
  EXPECT_EQ(back.info.loss, "softmax");
  EXPECT_EQ(*back.info.mean, *info.mean);
  EXPECT_EQ(*back.info.std, *info.std);
  micrograd::Rng rng(1);
  for (int k = 0; k < 20; ++k) {
    const std::vector<double> x{rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-3, 3)};
    EXPECT_EQ(back.mlp.predict(x), model.predict(x));
  }
  // The text: versioned, micrograd's parameter order (layer, neuron, w then b).
  const std::string text = micrograd::testing::read_file(file);
  EXPECT_NE(text.find("\"format\": \"micrograd-mlp\""), std::string::npos);
  EXPECT_NE(text.find("\"version\": 1"), std::string::npos);
  const micrograd::SavedModel again = model_from_json(micrograd::model_to_json(back.mlp), "x");
  EXPECT_EQ(micrograd::nn::parameters_to_vector(again.mlp)[3],
            model.layers()[0].neurons()[0].b().data());  // w0 w1 w2 b
  fs::remove(file);
}

TEST(Model, BadFilesAreRefusedWithTheReason) {
  const MLP model(2, {2, 1});
  const std::string good = micrograd::model_to_json(model);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  auto err = [](const std::string& text) {
    return micrograd::testing::message_of<std::exception>([&] { model_from_json(text, "m.json"); });
  };
  EXPECT_NE(err("").find("m.json: not a model file (JSON error"), std::string::npos);
  EXPECT_NE(err(good.substr(0, good.size() / 2)).find("m.json: not a model file"),
            std::string::npos);  // truncated
  EXPECT_NE(err("{\"format\": \"other\"}").find("not a micrograd model file"), std::string::npos);
  EXPECT_NE(err(with("\"version\": 1", "\"version\": 2"))
                .find("format version 2; this program reads version 1"),
            std::string::npos);
  EXPECT_NE(
      err(with("\"nin\": 2", "\"nin\": 3")).find("the layers need 11 parameters, the file has 9"),
      std::string::npos);
  EXPECT_NE(err(with("\"nin\": 2", "\"nin\": 1")).find("need 7 parameters, the file has 9"),
            std::string::npos);
  EXPECT_NE(err(with("\"nin\": 2", "\"nin\": -2")).find("\"nin\" must be a positive integer"),
            std::string::npos);
  EXPECT_NE(err(with("\"relu\"", "\"gelu\"")).find("unknown activation \"gelu\""),
            std::string::npos);
  EXPECT_NE(err(with("\"parameters\": [", "\"parameters\": [null,")).find("parameters[0] is null"),
            std::string::npos);
  EXPECT_NE(err(with("\"parameters\": [", "\"parameters\": [1e999,")).find("not a model file"),
            std::string::npos);  // nlohmann refuses an out-of-range number
  EXPECT_NE(err(with("\"normalization\": null", "\"normalization\": {\"mean\": [0], \"std\": [1]}"))
                .find("one mean and one std per input (2)"),
            std::string::npos);
  EXPECT_NE(
      err(with("\"normalization\": null", "\"normalization\": {\"mean\": [0, 0], \"std\": [1, 0]}"))
          .find("std[1] must be positive"),
      std::string::npos);
  const MLP three(2, {3, 3, 3, 1});
  std::string mixed = micrograd::model_to_json(three);
  mixed.replace(mixed.find("\"relu\""), 6, "\"tanh\"");
  EXPECT_NE(err(mixed).find("different activations"), std::string::npos);
  EXPECT_NE(micrograd::testing::message_of<std::exception>([] {
              load_model("/nonexistent/m.json");
            }).find("/nonexistent/m.json: no such"),
            std::string::npos);
  EXPECT_NE(micrograd::testing::message_of<std::exception>([] {
              load_model("/tmp");
            }).find("/tmp: not a regular file"),
            std::string::npos);
}

TEST(Model, SavingRefusesWhatCannotBeReadBack) {
  const MLP model(2, {1});
  model.layers()[0].neurons()[0].w()[1].data() = std::nan("");
  EXPECT_NE(micrograd::testing::message_of<std::exception>([&] {
              micrograd::model_to_json(model);
            }).find("parameter[1] is"),
            std::string::npos);
  model.layers()[0].neurons()[0].w()[1].data() = 0.5;
  micrograd::ModelInfo info;
  info.mean = std::vector<double>{0.0};
  info.std = std::vector<double>{1.0};
  EXPECT_THROW(micrograd::model_to_json(model, info), std::invalid_argument);  // 1 for 2 inputs
  // An unwritable path: an error naming it, and nothing left behind.
  EXPECT_NE(micrograd::testing::message_of<std::exception>([&] {
              micrograd::save_model("/nonexistent-dir/m.json", model);
            }).find("/nonexistent-dir/m.json"),
            std::string::npos);
}
