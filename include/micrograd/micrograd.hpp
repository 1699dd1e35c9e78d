// micrograd.hpp: the whole library in one include.
#pragma once

#include "micrograd/data.hpp"
#include "micrograd/draw.hpp"
#include "micrograd/expr.hpp"
#include "micrograd/gradcheck.hpp"
#include "micrograd/io.hpp"
#include "micrograd/loss.hpp"
#include "micrograd/mersenne.hpp"
#include "micrograd/model.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/ops.hpp"
#include "micrograd/optim.hpp"
#include "micrograd/parallel.hpp"
#include "micrograd/plot.hpp"
#include "micrograd/random.hpp"
#include "micrograd/tape.hpp"
#include "micrograd/value.hpp"
