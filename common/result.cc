// Error's message for an operator (result.h).
#include "result.h"

#include "text.h"

namespace lpweb {

std::string Error::what() const { return entry.empty() ? message : "entry " + quote(entry) + ": " + message; }

}  // namespace lpweb
