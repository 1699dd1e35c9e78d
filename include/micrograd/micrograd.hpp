// micrograd.hpp: the whole library in one include.
#pragma once

#include "micrograd/gradcheck.hpp"
#include "micrograd/ops.hpp"
#include "micrograd/tape.hpp"
#include "micrograd/value.hpp"
