// Reading the fields of a body a peer sent, each checked before use (docs/protocol.md "Errors").
// A getter returns the field's value, or a neutral value after remembering the first field that
// was missing or of the wrong type; read every field, then ask ok(). The error names the message
// and the field — "job.failed: 'retryable' must be true or false, not a string" — so a refusal
// tells the peer what to fix. Never throws (a body that is not a map is an error too).
//
// Not thread-safe; the body must outlive the reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ws/result.h"

namespace ws {

class MessageFields {
 public:
  // `what` names the message or the part of it read ("job.done", "job.done result").
  MessageFields(std::string what, const nlohmann::json& body);
  MessageFields(std::string what, const nlohmann::json&& body) = delete;  // would dangle

  // Required, non-empty.
  std::string string(const char* key);
  // Absent or null: `fallback`; otherwise a string.
  std::string string_or(const char* key, std::string fallback);
  // Required, whole, in [min, max].
  int64_t integer(const char* key, int64_t min, int64_t max);
  // Absent or null: `fallback`; otherwise whole and in [min, max].
  int64_t integer_or(const char* key, int64_t fallback, int64_t min, int64_t max);
  // Absent or null: `fallback`; otherwise true or false.
  bool boolean_or(const char* key, bool fallback);
  // Absent or null: empty; otherwise a list of non-empty strings.
  std::vector<std::string> strings_or_empty(const char* key);
  // Required map.
  const nlohmann::json& map(const char* key);
  // Absent or null: an empty list; otherwise a list.
  const nlohmann::json& list_or_empty(const char* key);

  // Records that the field must be present (not absent, not nil).
  void require(const char* key);
  // Records a problem with a field the caller found itself: "<what>: '<key>' <why>".
  void invalid(const char* key, const std::string& why);
  // Records a problem in the caller's words; the first problem wins.
  void fail(const std::string& sentence);

  bool ok() const { return error_.empty(); }
  // The first problem ("<what>: ..."); empty when ok().
  const std::string& error() const { return error_; }
  Error as_error() const { return make_error(ErrorKind::invalid_input, error_); }

 private:
  // The field when present and not null; nullptr otherwise.
  const nlohmann::json* find(const char* key) const;
  void wrong_type(const char* key, const char* wanted, const nlohmann::json& got);
  void missing(const char* key);

  std::string what_;
  const nlohmann::json& body_;
  std::string error_;
};

}  // namespace ws
