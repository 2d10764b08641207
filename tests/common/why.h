// What a Status says, for a test that compares an operator's message: empty
// when it is ok, else the error's message.
#pragma once

#include <string>

#include "result.h"

namespace lpweb::test {

inline std::string why(const lpweb::Status& status) { return status ? std::string() : status.error().message; }

}  // namespace lpweb::test
