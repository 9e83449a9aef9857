#include "fault_injector.h"

#include <charconv>
#include <cstdlib>

#include "fake_hash.h"

namespace ws::fake {

Result<FaultSpec> parse_fault_spec(std::string_view text) {
  FaultSpec spec;
  double sum = 0;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    const size_t colon = item.find(':');
    const std::string bad = "--fail: '" + std::string(item) + "' is not KIND:PROBABILITY (KIND: 400-599, hang, truncate)";
    if (colon == std::string_view::npos) return make_error(ErrorKind::invalid_input, bad);
    const std::string_view kind = item.substr(0, colon);
    const std::string p_text(item.substr(colon + 1));
    char* end = nullptr;
    const double p = std::strtod(p_text.c_str(), &end);
    if (p_text.empty() || *end != '\0' || !(p >= 0 && p <= 1)) {
      return make_error(ErrorKind::invalid_input, bad + "; the probability must be in [0, 1]");
    }
    FaultRule rule;
    rule.probability = p;
    if (kind == "hang") {
      rule.kind = FaultRule::hang;
    } else if (kind == "truncate") {
      rule.kind = FaultRule::truncate;
    } else {
      int code = 0;
      auto [ptr, ec] = std::from_chars(kind.data(), kind.data() + kind.size(), code);
      if (ec != std::errc{} || ptr != kind.data() + kind.size() || code < 400 || code > 599) {
        return make_error(ErrorKind::invalid_input, bad);
      }
      rule.code = code;
    }
    sum += p;
    spec.push_back(rule);
  }
  if (sum > 1.0 + 1e-9) return make_error(ErrorKind::invalid_input, "--fail: the probabilities add up to more than 1");
  return spec;
}

std::string FaultDecision::name() const {
  switch (kind) {
    case FaultRule::hang: return "hang";
    case FaultRule::truncate: return "truncate";
    case FaultRule::status: return std::to_string(code);
  }
  return "?";
}

FaultDecision FaultInjector::next() {
  std::lock_guard lock(mutex_);
  const FaultSpec* spec = &spec_;
  if (override_left_ > 0) {
    --override_left_;
    spec = &override_;
  }
  const double u = unit(hash2(seed_, counter_++));
  double acc = 0;
  for (const FaultRule& r : *spec) {
    acc += r.probability;
    if (u < acc) return FaultDecision{r.kind, r.kind == FaultRule::status ? r.code : 0};
  }
  return FaultDecision{};
}

void FaultInjector::override_next(FaultSpec spec, int requests) {
  std::lock_guard lock(mutex_);
  override_ = std::move(spec);
  override_left_ = requests;
}

}  // namespace ws::fake
