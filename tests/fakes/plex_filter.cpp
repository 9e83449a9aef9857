#include "plex_filter.h"

#include <charconv>

namespace ws::fake {
namespace {

std::string percent_decoded(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out += char(v);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

// Epoch seconds, or `-N` with a unit (m h d w mon y) counted back from now.
std::optional<int64_t> date_value(std::string_view v, int64_t now) {
  if (v.empty()) return std::nullopt;
  const bool relative = v.front() == '-';
  if (relative) v.remove_prefix(1);
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p == v.data()) return std::nullopt;
  const std::string_view unit(p, size_t(v.data() + v.size() - p));
  if (!relative) return unit.empty() ? std::optional<int64_t>(n) : std::nullopt;
  int64_t seconds = 0;
  if (unit == "m") seconds = 60;
  else if (unit == "h") seconds = 3600;
  else if (unit == "d") seconds = 86400;
  else if (unit == "w") seconds = 7 * 86400;
  else if (unit == "mon") seconds = 30 * 86400;
  else if (unit == "y") seconds = 365 * 86400;
  else return std::nullopt;
  return now - n * seconds;
}

bool is_date_field(std::string_view f) { return f == "lastViewedAt" || f == "addedAt" || f == "updatedAt"; }

}  // namespace

std::optional<PlexFilter> PlexFilter::parse(std::string_view query, int64_t now) {
  PlexFilter filter;
  bool any_date = false;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string pair = percent_decoded(query.substr(0, amp));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) continue;
    std::string key = pair.substr(0, eq);
    const std::string value = pair.substr(eq + 1);
    Term t;
    if (key == "push" && value == "1") {
      t.kind = Term::Kind::open;
    } else if (key == "pop" && value == "1") {
      t.kind = Term::Kind::close;
    } else if (key == "or" && value == "1") {
      t.kind = Term::Kind::or_;
    } else {
      if (key.size() > 2 && key.compare(key.size() - 2, 2, ">>") == 0) {
        t.op = Term::Op::after;
        key.resize(key.size() - 2);
      } else if (key.size() > 2 && key.compare(key.size() - 2, 2, "<<") == 0) {
        t.op = Term::Op::before;
        key.resize(key.size() - 2);
      }
      if (!is_date_field(key)) continue;  // not part of the date expression
      auto v = date_value(value, now);
      if (!v) return std::nullopt;
      t.field = key;
      t.value = *v;
      any_date = true;
    }
    filter.terms_.push_back(std::move(t));
  }
  if (!any_date) filter.terms_.clear();
  return filter;
}

bool PlexFilter::matches(const PlexFilterDates& dates) const {
  size_t i = 0;
  bool result = true;
  // Top level: groups until the end (a stray pop closes nothing).
  while (i < terms_.size()) {
    result = evaluate(dates, i) && result;
  }
  return result;
}

// AND of OR-chains: `a & b or=1 c` is a AND (b OR c).
bool PlexFilter::evaluate(const PlexFilterDates& dates, size_t& i) const {
  bool all = true;
  std::optional<bool> chain;  // the OR-chain being built
  bool pending_or = false;
  auto add = [&](bool v) {
    if (pending_or && chain) {
      chain = *chain || v;
    } else {
      if (chain) all = all && *chain;
      chain = v;
    }
    pending_or = false;
  };
  while (i < terms_.size()) {
    const Term& t = terms_[i++];
    switch (t.kind) {
      case Term::Kind::open:
        add(evaluate(dates, i));
        break;
      case Term::Kind::close:
        return chain ? all && *chain : all;
      case Term::Kind::or_:
        pending_or = true;
        break;
      case Term::Kind::compare: {
        std::optional<int64_t> have;
        if (t.field == "lastViewedAt") have = dates.last_viewed_at;
        if (t.field == "addedAt") have = dates.added_at;
        if (t.field == "updatedAt") have = dates.updated_at;
        bool v = false;
        if (have) {
          if (t.op == Term::Op::after) v = *have > t.value;  // "after": strict
          if (t.op == Term::Op::before) v = *have < t.value;
          if (t.op == Term::Op::equal) v = *have == t.value;
        }
        add(v);
        break;
      }
    }
  }
  return chain ? all && *chain : all;
}

}  // namespace ws::fake
