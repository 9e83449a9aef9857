#include "ws/backup_format.h"

#include <ctime>
#include <istream>
#include <optional>
#include <ostream>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ws/backup_record.h"

namespace ws {
namespace {

using nlohmann::json;

// A record deeper than this is not a record (the real ones nest three levels).
constexpr size_t kMaxRecordDepth = 16;

// Builds one JSON value from SAX events: the record being read, and nothing else of the file.
class ValueBuilder {
 public:
  bool done() const { return open_.empty(); }
  size_t depth() const { return open_.size(); }
  void key(std::string k) { key_ = std::move(k); }
  void value(json v) { place(std::move(v)); }
  void start(json container) {
    open_.push_back(open_.empty() ? &(root_ = std::move(container)) : place(std::move(container)));
  }
  void end() { open_.pop_back(); }
  json take() { return std::move(root_); }

 private:
  // Only the innermost open container grows, so the pointers to the outer ones stay valid.
  json* place(json v) {
    json& parent = *open_.back();
    if (parent.is_object()) return &(parent[key_] = std::move(v));
    parent.push_back(std::move(v));
    return &parent.back();
  }

  json root_;
  std::vector<json*> open_;
  std::string key_;
};

// Walks the document: the top object's `format` and `version`, each element of `records` (built,
// checked and handed on one at a time), and skips any other key.
class BackupSax : public nlohmann::json_sax<json> {
 public:
  BackupSax(const std::string& name, const std::function<Result<Ok>(Record)>& on_record)
      : name_(name), on_record_(on_record) {}

  bool null() override { return scalar(json(nullptr)); }
  bool boolean(bool v) override { return scalar(json(v)); }
  bool number_integer(number_integer_t v) override { return scalar(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return scalar(json(v)); }
  bool string(string_t& v) override { return scalar(json(std::move(v))); }
  bool binary(binary_t&) override { return fail("holds binary data: not a backup"); }

  bool key(string_t& k) override {
    if (record_) {
      record_->key(std::move(k));
    } else if (skip_ == 0 && level_ == Level::top) {
      top_key_ = std::move(k);
    }
    return true;
  }

  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    std::string reason = e.what();
    if (auto bracket = reason.find("] "); reason.rfind("[json.exception", 0) == 0 && bracket != std::string::npos)
      reason = reason.substr(bracket + 2);
    const std::string where = record_ ? "in record " + std::to_string(records_)
                                      : "after " + std::to_string(records_) + " records";
    return fail("not a complete JSON document (byte " + std::to_string(position) + ", " + where + "): " + reason);
  }

  Result<uint64_t> result() const {
    if (error_) return *error_;
    if (format_ != kBackupFormat) {
      return make_error(ErrorKind::invalid_input,
                        name_ + ": not a watchstate backup (format is not '" + kBackupFormat + "')");
    }
    if (!version_ok_) return version_error();
    if (!records_seen_) return make_error(ErrorKind::invalid_input, name_ + ": no 'records' list");
    return records_;
  }

 private:
  enum class Level { outside, top, records, finished };

  Error version_error() const {
    return make_error(ErrorKind::invalid_input, name_ + ": backup version " +
                                                    (version_text_.empty() ? "(none)" : version_text_) +
                                                    " is not supported (this build reads " +
                                                    std::to_string(kBackupVersion) + ")");
  }

  bool fail(std::string message) {
    return fail_with(make_error(ErrorKind::invalid_input, name_ + ": " + std::move(message)));
  }

  bool fail_with(Error e) {
    if (!error_) error_ = std::move(e);
    return false;
  }

  bool fail_record(const json* record, const Error& why) {
    std::string id = "none";
    if (record && record->is_object()) {
      if (auto it = record->find("id"); it != record->end()) id = it->dump();
    }
    return fail_with(
        Error{why.kind, name_ + ": record " + std::to_string(records_) + " (id " + id + "): " + why.message});
  }

  bool scalar(json v) {
    if (record_) {
      record_->value(std::move(v));
      return true;
    }
    if (skip_ > 0) return true;
    switch (level_) {
      case Level::outside: return fail("not a JSON object");
      case Level::top:
        if (top_key_ == "format") {
          format_ = v.is_string() ? v.get<std::string>() : v.dump();
        } else if (top_key_ == "version") {
          version_text_ = v.dump();
          version_ok_ = v.is_number_integer() && v == json(kBackupVersion);
        } else if (top_key_ == "records") {
          return fail("'records' is not a list");
        }
        return true;
      case Level::records:
        ++records_;
        return fail_record(nullptr, make_error(ErrorKind::invalid_input, "expected an object, found " + v.dump()));
      case Level::finished: return true;
    }
    return true;
  }

  bool open(json container) {
    const bool object = container.is_object();
    if (record_) {
      if (record_->depth() >= kMaxRecordDepth) {
        return fail_record(nullptr, make_error(ErrorKind::invalid_input, "nested too deep to be a record"));
      }
      record_->start(std::move(container));
      return true;
    }
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    switch (level_) {
      case Level::outside:
        if (!object) return fail("not a JSON object");
        level_ = Level::top;
        return true;
      case Level::top:
        if (top_key_ != "records") {
          skip_ = 1;  // a key this build does not read
          return true;
        }
        if (object) return fail("'records' is not a list");
        // Refuse a foreign document before its records, when its header came first.
        if (!format_.empty() && format_ != kBackupFormat) return fail_with(result().error());
        if (!version_text_.empty() && !version_ok_) return fail_with(version_error());
        level_ = Level::records;
        records_seen_ = true;
        return true;
      case Level::records:
        ++records_;
        if (!object) {
          return fail_record(nullptr, make_error(ErrorKind::invalid_input, "expected an object, found a list"));
        }
        record_.emplace();
        record_->start(std::move(container));
        return true;
      case Level::finished: return true;
    }
    return true;
  }

  bool close() {
    if (record_) {
      record_->end();
      if (record_->done()) return finish_record();
      return true;
    }
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    level_ = level_ == Level::records ? Level::top : Level::finished;
    return true;
  }

  bool finish_record() {
    json j = record_->take();
    record_.reset();
    auto record = record_from_backup(j);
    if (!record) return fail_record(&j, record.error());
    if (auto taken = on_record_(std::move(record).value()); !taken) return fail_record(&j, taken.error());
    return true;
  }

  const std::string& name_;
  const std::function<Result<Ok>(Record)>& on_record_;
  Level level_ = Level::outside;
  std::string top_key_;
  int skip_ = 0;  // depth inside a top-level value this build does not read
  std::optional<ValueBuilder> record_;
  uint64_t records_ = 0;  // records started
  bool records_seen_ = false;
  std::string format_;
  std::string version_text_;
  bool version_ok_ = false;
  std::optional<Error> error_;
};

}  // namespace

uint64_t write_backup(const Store& store, std::ostream& out) {
  out << "{\"format\":\"" << kBackupFormat << "\",\"version\":" << kBackupVersion
      << ",\"created_at\":" << std::time(nullptr) << ",\"records\":[\n";
  uint64_t n = 0;
  store.for_each([&](const Record& r) {
    out << (n++ ? ",\n" : "") << json(r).dump(-1, ' ', false, json::error_handler_t::replace);
    return true;
  });
  out << "\n]}\n";
  return n;
}

Result<uint64_t> read_backup(std::istream& in, const std::string& name,
                             const std::function<Result<Ok>(Record)>& on_record) {
  BackupSax sax(name, on_record);
  json::sax_parse(in, &sax);
  return sax.result();
}

}  // namespace ws
