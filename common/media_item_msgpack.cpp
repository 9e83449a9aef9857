#include "ws/media_item_msgpack.h"

#include <cstdint>
#include <limits>

#include "msgpack_io.h"
#include "msgpack_shape.h"

namespace ws {
namespace {

// The JSON form's keys in nlohmann's order (std::map: sorted). put() leaves a field at its
// default out; `type` and `watched` are always written.
size_t field_count(const MediaItem& i) {
  return (i.added_at != 0) + (i.episode != -1) + (i.episode_end != -1) + !i.episode_title.empty() +
         !i.guids.empty() + !i.item_id.empty() + !i.library_id.empty() + !i.parent.empty() + !i.path.empty() +
         (i.play_count != 0) + (i.played_at != 0) + (i.progress_ms != 0) + i.relative.has_value() +
         (i.season != -1) + !i.series_id.empty() + !i.server.empty() + !i.title.empty() + 1 /* type */ +
         1 /* watched */ + (i.year != 0);
}

void write_item(msgpack::Writer& w, const MediaItem& i) {
  w.map(field_count(i));
  auto text = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    w.str(key);
    w.str(value);
  };
  auto number = [&](std::string_view key, int64_t value, int64_t default_value) {
    if (value == default_value) return;
    w.str(key);
    w.signed_int(value);
  };
  auto ids = [&](std::string_view key, const Guids& value) {
    if (value.empty()) return;
    w.str(key);
    w.string_map(value);
  };
  number("added_at", i.added_at, 0);
  number("episode", i.episode, -1);
  number("episode_end", i.episode_end, -1);
  text("episode_title", i.episode_title);
  ids("guids", i.guids);
  text("item_id", i.item_id);
  text("library_id", i.library_id);
  ids("parent", i.parent);
  text("path", i.path);
  number("play_count", i.play_count, 0);
  number("played_at", i.played_at, 0);
  number("progress_ms", i.progress_ms, 0);
  if (i.relative) {
    w.str("relative");
    w.map(4);
    w.str("episode");
    w.signed_int(i.relative->episode);
    w.str("season");
    w.signed_int(i.relative->season);
    w.str("series_id");
    w.str(i.relative->series_id);
    w.str("source");
    w.str(i.relative->source);
  }
  number("season", i.season, -1);
  text("series_id", i.series_id);
  text("server", i.server);
  text("title", i.title);
  w.str("type");
  w.str(to_string(i.type));
  w.str("watched");
  w.boolean(i.watched);
  number("year", i.year, 0);
}

// Reads one item map whose bytes `msgpack_value_size` has measured (so stepping over a value
// never fails): the first field that does not read names the error.
class ItemReader {
 public:
  ItemReader(std::string_view bytes, int max_depth) : in_(bytes), max_depth_(max_depth) {}

  // Empty when the item read; else what was wrong with it.
  std::string read(MediaItem& item) {
    item = MediaItem{};
    size_t n = 0;
    if (!in_.map(n)) return "is not a map";
    bool typed = false;
    for (size_t k = 0; k < n; ++k) {
      std::string_view key;
      if (!in_.str(key)) return "has a key that is not a string";
      if (in_.nil()) continue;  // from_json skips a null field
      std::string error = field(key, item, typed);
      if (!error.empty()) return "'" + std::string(key) + "' " + error;
    }
    if (!typed) return "has no 'type'";
    return {};
  }

 private:
  std::string field(std::string_view key, MediaItem& item, bool& typed) {
    if (key == "server") return text(item.server);
    if (key == "item_id") return text(item.item_id);
    if (key == "series_id") return text(item.series_id);
    if (key == "library_id") return text(item.library_id);
    if (key == "title") return text(item.title);
    if (key == "episode_title") return text(item.episode_title);
    if (key == "path") return text(item.path);
    if (key == "type") {
      std::string_view type;
      if (!in_.str(type)) return "is not a string";
      auto parsed = parse_media_type(type);
      if (!parsed) return "is not movie or episode";
      item.type = *parsed;
      typed = true;
      return {};
    }
    if (key == "year") return integer(item.year);
    if (key == "season") return integer(item.season);
    if (key == "episode") return integer(item.episode);
    if (key == "episode_end") return integer(item.episode_end);
    if (key == "play_count") return integer(item.play_count);
    if (key == "played_at") return integer(item.played_at);
    if (key == "added_at") return integer(item.added_at);
    if (key == "progress_ms") return integer(item.progress_ms);
    if (key == "watched") return in_.boolean(item.watched) ? std::string() : "is not a boolean";
    if (key == "guids") return in_.string_map(item.guids) ? std::string() : "is not a map of strings";
    if (key == "parent") return in_.string_map(item.parent) ? std::string() : "is not a map of strings";
    if (key == "relative") return relative(item);
    return skip();  // a field this build does not know (a newer peer's): stepped over
  }

  std::string text(std::string& out) { return in_.str(out) ? std::string() : "is not a string"; }

  template <typename T>
  std::string integer(T& out) {
    const int t = in_.peek();
    const bool is_integer = (t >= 0 && t < 0x80) || t >= 0xe0 || (t >= 0xcc && t <= 0xcf) || (t >= 0xd0 && t <= 0xd3);
    if (!is_integer) return "is not an integer";
    return in_.exact(out) ? std::string() : "is out of range";
  }

  std::string relative(MediaItem& item) {
    RelativeGuid rel;
    size_t n = 0;
    if (!in_.map(n)) return "is not a map";
    for (size_t k = 0; k < n; ++k) {
      std::string_view key;
      if (!in_.str(key)) return "has a key that is not a string";
      if (in_.nil()) continue;
      std::string error;
      if (key == "source") {
        error = text(rel.source);
      } else if (key == "series_id") {
        error = text(rel.series_id);
      } else if (key == "season") {
        error = integer(rel.season);
      } else if (key == "episode") {
        error = integer(rel.episode);
      } else {
        error = skip();
      }
      if (!error.empty()) return "'" + std::string(key) + "' " + error;
    }
    item.relative = std::move(rel);
    return {};
  }

  std::string skip() {
    auto size = msgpack_value_size(in_.rest(), max_depth_);
    if (!size || !in_.skip(*size)) return "is not well-formed MessagePack";
    return {};
  }

  msgpack::Reader in_;
  int max_depth_;
};

bool is_array_head(int t) { return (t >= 0x90 && t <= 0x9f) || t == 0xdc || t == 0xdd; }

}  // namespace

void append_item_msgpack(std::string& out, const MediaItem& item) {
  msgpack::Writer w(out);
  write_item(w, item);
}

void append_items_msgpack(std::string& out, const std::vector<MediaItem>& items) {
  msgpack::Writer w(out);
  w.array(items.size());
  for (const MediaItem& item : items) write_item(w, item);
}

Result<std::vector<MediaItem>> read_items_msgpack(std::string_view bytes, ItemsReadReport& report, int max_depth) {
  // The whole list's shape first: every item's bytes are then known to be well-formed, so one
  // item that does not read is stepped over and the rest still read.
  auto size = msgpack_value_size(bytes, max_depth);
  if (!size) return make_error(ErrorKind::invalid_input, "items: " + size.error().message);
  if (*size != bytes.size()) return make_error(ErrorKind::invalid_input, "items: bytes after the list");
  msgpack::Reader list(bytes);
  size_t n = 0;
  if (!is_array_head(list.peek()) || !list.array(n)) return make_error(ErrorKind::invalid_input, "items: is not a list");
  std::vector<MediaItem> items;
  items.reserve(n);
  MediaItem item;
  for (size_t i = 0; i < n; ++i) {
    auto item_size = msgpack_value_size(list.rest(), max_depth);
    if (!item_size) return make_error(ErrorKind::invalid_input, "items: item " + std::to_string(i) + ": " + item_size.error().message);
    ItemReader reader(list.rest().substr(0, *item_size), max_depth);
    std::string error = reader.read(item);
    list.skip(*item_size);
    if (error.empty()) {
      items.push_back(std::move(item));
    } else {
      report.skipped.push_back("item " + std::to_string(i) + ": " + error);
    }
  }
  return items;
}

}  // namespace ws
