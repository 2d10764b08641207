// The cores' one error convention: a fallible operation returns Result<T>,
// either its value or an Error that says whose fault it is, which entry or
// item is at fault, and why, in words an operator can act on.
//
// What is not an error keeps its own type: std::optional<T> for a lookup
// that may find nothing (no reason to give), and the request path's outcome
// enums (found / not_found / bad_request), which are answers to a client,
// not failures, and must not allocate a message per 404.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace lpweb {

struct Error {
  enum class Kind {
    rejected,  // the input's fault: a bad bundle, directive value, name or text
    system,    // the environment's: I/O, permissions, a full disk, a library failing
  };
  Kind kind = Kind::rejected;
  std::string entry;    // the item at fault (bundle entry, file, value); may be empty
  std::string message;  // why
  int code = 0;         // the errno value, when the system said why

  // `entry "a/../b": name has a '..' component`, or the message alone.
  std::string what() const;
};

inline Error rejected(std::string message) { return Error{Error::Kind::rejected, {}, std::move(message)}; }
inline Error rejected(std::string entry, std::string message) {
  return Error{Error::Kind::rejected, std::move(entry), std::move(message)};
}
inline Error system_error(std::string message) { return Error{Error::Kind::system, {}, std::move(message)}; }
inline Error system_error(std::string entry, std::string message) {
  return Error{Error::Kind::system, std::move(entry), std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_same_v<T, Error>, "a Result holds a value or an Error, not an Error as value");
  // Implicit, as std::optional's; T&& lets `return local;` move.
  Result(const T& value) : v_(std::in_place_index<0>, value) {}    // NOLINT
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Success with nothing to return, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace lpweb
