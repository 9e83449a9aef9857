// Plex's wire shapes: one writer that emits either JSON (when the client sends
// Accept: application/json) or XML (Plex's default), and the item shapes of
// /library/sections/{key}/all and /library/metadata/{id}. Plex omits viewCount, lastViewedAt and
// viewOffset when unset; Guid[] only with includeGuids=1 (always on /library/metadata).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog.h"
#include "fake_state.h"
#include "json_writer.h"

namespace ws::fake {

// Writes a MediaContainer tree as JSON or XML. Within an element, write all attributes before
// the first child. In JSON, children are grouped under a key given by children(); in XML they are
// elements named by open().
class PlexWriter {
 public:
  // wrap: the outer element becomes {"Tag":{…}} in JSON and gets an XML declaration; without it,
  // the JSON is the bare object (to embed in a webhook payload).
  PlexWriter(std::string& out, bool json, bool wrap = true);

  void open(std::string_view xml_tag);
  void attr(std::string_view name, std::string_view value);
  void attr(std::string_view name, const char* value) { attr(name, std::string_view(value)); }
  void attr(std::string_view name, const std::string& value) { attr(name, std::string_view(value)); }
  void attr(std::string_view name, int64_t value);
  void attr(std::string_view name, bool value);
  void attr(std::string_view name, double value);
  void children(std::string_view json_key);
  void end_children();
  void close();

  bool json() const { return json_; }

 private:
  struct Open {
    std::string tag;
    bool has_children = false;
  };
  std::string& out_;
  bool json_;
  bool wrap_;
  JsonWriter w_;
  std::vector<Open> stack_;
};

struct PlexItemOptions {
  bool guids = false;    // Guid[] (includeGuids=1, or a single item)
  bool detail = false;   // library section fields on the item (single item, webhooks)
  bool webhook = false;  // librarySectionType, as webhook Metadata has it
  std::optional<int64_t> view_offset;  // instead of the state's position (a webhook's playback)
};

// One movie, show, season or episode. REQUIRES: state's read lock held (viewedLeafCount).
void plex_item(PlexWriter& w, const Catalog& catalog, const FakeState& state, const Entry& e,
               const PlexItemOptions& options);

inline const char* plex_section_title(int library) { return library == 1 ? "Movies" : "TV Shows"; }

// The one shared (non-owner) account of every Plex fake, in /accounts and /__fake/info: what a
// test sends as /__fake/webhook "account_id" to play as a guest.
inline constexpr const char* kPlexGuestAccountId = "23456789";
inline constexpr const char* kPlexGuestAccountName = "guestuser";

}  // namespace ws::fake
