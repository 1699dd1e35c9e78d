// train_page.hpp: `micrograd train --html FILE`: the run as an interactive page (training mode):
// a step slider over the decision boundary with the data, the loss and accuracy curves with a
// marker at the step, the learning rate, and one sample's graph with its numbers at that step.
// Not here: the training loop (train.cpp), the page (web/).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "micrograd/data.hpp"
#include "micrograd/nn.hpp"

namespace micrograd::cli {

// What the page needs from a run: every step's numbers, and the parameters (in
// model.parameters() order) as they were when some steps began (the frames).
struct TrainingRecord {
  std::vector<double> loss, accuracy, lr;  // one per step
  std::vector<std::size_t> frame_steps;
  std::vector<std::vector<double>> frame_params;
};

// At most this many frames are kept (every step of the demo's 100).
inline constexpr std::size_t kMaxFrames = 200;
// Record a frame at step k of `steps`?
inline bool is_frame_step(std::size_t k, std::size_t steps) {
  return k % ((steps + kMaxFrames - 1) / kMaxFrames) == 0;
}

// The graph of one sample's score a person can read (graph.svg, the page): the output neuron's
// own graph (micrograd's * and + nodes) over the last hidden layer's values for inputs x, as
// leaves h0, h1, ...; for a one-layer model, over x itself. Built on this thread's tape.
Value output_neuron_graph(const nn::MLP& model, const std::vector<Value>& x);

// Writes the page. The data must have 2 features (the boundary is drawn over the plane); the
// model's parameters are set to each frame in turn and put back as they were.
void write_training_page(const std::string& path, const std::string& title, const nn::MLP& model,
                         const Dataset& data, const TrainingRecord& record);

}  // namespace micrograd::cli
