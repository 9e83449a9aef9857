// Expected failures are values (STYLE 7): a small closed set of kinds plus a sentence a person
// can act on. Bugs and start-up failures stay exceptions.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ws {

enum class ErrorKind { not_found, invalid_input, unavailable, unauthorized, corruption, io };

struct Error {
  ErrorKind kind = ErrorKind::invalid_input;
  std::string message;  // names the file, key, server or item at fault; never a secret
};

// Either a value or an Error. `Result<void>` is spelled `Result<Ok>`.
struct Ok {};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}     // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

inline Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

}  // namespace ws
