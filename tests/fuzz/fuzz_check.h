// What the fuzz targets share: a property check that stops the run (and
// saves the input) when it does not hold, in every build mode.
#pragma once

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)
