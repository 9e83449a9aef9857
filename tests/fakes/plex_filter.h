// The date part of Plex's "Media Queries" filter language on /library/sections/{k}/all, as
// pms_openapi_1.2.0 documents it: `field>>=value` (after), `field<<=value` (before), `field=value`,
// with values in epoch seconds or relative (`-3d`: units m h d w mon y); terms in query order are
// ANDed, `or=1` ORs the next term with the one before, `push=1`/`pop=1` are parentheses. The
// fields are the ones an incremental import asks for: lastViewedAt, addedAt, updatedAt. A
// missing date (an unplayed item's lastViewedAt, cleared by an unscrobble) matches no comparison,
// as on the real server. Other query parameters (type, sort, paging, includeGuids) are not part
// of the expression.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ws::fake {

// The dates of one item the filter compares (unix seconds; nullopt: the item has none).
struct PlexFilterDates {
  std::optional<int64_t> last_viewed_at;
  int64_t added_at = 0;
  int64_t updated_at = 0;
};

class PlexFilter {
 public:
  // From a request target's query (everything after '?', still percent-encoded). nullopt when a
  // date term has a value that is not a date (the caller answers 400); an empty filter when the
  // query has no date term (it matches everything).
  static std::optional<PlexFilter> parse(std::string_view query, int64_t now);

  bool empty() const { return terms_.empty(); }
  bool matches(const PlexFilterDates& dates) const;

 private:
  struct Term {
    enum class Kind { compare, open, close, or_ } kind = Kind::compare;
    std::string field;
    enum class Op { after, before, equal } op = Op::equal;
    int64_t value = 0;
  };
  // Evaluates terms_[i..] up to the matching close; advances i past it.
  bool evaluate(const PlexFilterDates& dates, size_t& i) const;
  std::vector<Term> terms_;
};

}  // namespace ws::fake
