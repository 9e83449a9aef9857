// The simdjson page readers against the nlohmann reference (page_differential.h), on hand-made odd
// pages, on every odd value in every field the readers read, and on the recorded responses of
// ../shared/fixtures.
#include "ws/page_reader.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "page_differential.h"
#include "test_data.h"
#include "ws/backend_client.h"

namespace fs = std::filesystem;
using ws::PageFormat;
using ws::testing::compare_page;

namespace {

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string plex_page(const std::string& entries, const std::string& container_extra = "") {
  return R"({"MediaContainer":{)" + container_extra + R"("Metadata":[)" + entries + "]}}";
}
std::string mb_page(const std::string& entries, const std::string& extra = "") {
  return "{" + extra + R"("Items":[)" + entries + "]}";
}

// Both formats, both readers, must agree; returns whether simdjson read it (no fallback).
bool agrees(const std::string& body) {
  bool fast = true;
  for (PageFormat format : {PageFormat::plex, PageFormat::mediabrowser}) {
    const auto c = compare_page(format, body);
    INFO(body);
    CHECK(c.disagreement == "");
    fast = fast && c.fast;
  }
  return fast;
}

ws::ItemsPage fast_items(PageFormat format, std::string body) {
  auto page = ws::fast_items_page(format, body, "srv");
  REQUIRE(page.has_value());
  return *page;
}

}  // namespace

TEST_CASE("the fast page readers read what the nlohmann readers read, odd values included", "[page_reader]") {
  const std::string plex_movie =
      R"({"ratingKey":"11","type":"movie","title":"Heat","year":1995,"addedAt":1600000000,"viewCount":2,)"
      R"("lastViewedAt":1700000000,"viewOffset":5000,"librarySectionID":3,"guid":"com.plexapp.agents.imdb://tt0113277?lang=en",)"
      R"("Guid":[{"id":"imdb://tt0113277"},{"id":"tmdb://949"}],"Media":[{"Part":[{"file":"/m/heat.mkv"}]}]})";
  const std::string plex_episode =
      R"({"ratingKey":21,"type":"episode","title":"Pilot","grandparentTitle":"Show","grandparentRatingKey":"20",)"
      R"("grandparentGuid":"com.plexapp.agents.thetvdb://555?lang=en","parentIndex":"1","index":" +2.0 ",)"
      R"("guid":"com.plexapp.agents.thetvdb://555/1/2","viewCount":"0","lastViewedAt":null})";
  const std::string mb_movie =
      R"({"Id":"a1","Type":"Movie","Name":"Heat","ProductionYear":1995,"DateCreated":"2020-01-02T03:04:05.1234567Z",)"
      R"("Path":"/m/heat.mkv","ProviderIds":{"Imdb":"tt0113277","Tmdb":949,"IMDB":"tt0000001","Tvdb":null},)"
      R"("UserData":{"Played":"YES","PlayCount":"3","PlaybackPositionTicks":123456789,"LastPlayedDate":"2024-05-06T07:08:09Z"}})";
  const std::string mb_episode =
      R"({"Id":"e1","Type":"episode","Name":"Pilot","SeriesName":"Show","SeriesId":"s1","ParentIndexNumber":1,)"
      R"("IndexNumber":1,"IndexNumberEnd":"2","PremiereDate":"2002-01-01T00:00:00Z","UserData":{"Played":1}})";

  SECTION("ordinary pages read fast, with the values the reference reads") {
    const std::string plex = plex_page(plex_movie + "," + plex_episode, R"("totalSize":"7",)");
    const std::string mb = mb_page(mb_movie + "," + mb_episode, R"("TotalRecordCount":7,)");
    CHECK(agrees(plex));
    CHECK(agrees(mb));
    const auto p = fast_items(PageFormat::plex, plex);
    REQUIRE(p.entries.size() == 2);
    CHECK(p.total == 7);
    CHECK(p.entries[0]->guids.at("tmdb") == "949");
    CHECK(p.entries[0]->path == "/m/heat.mkv");
    CHECK(p.entries[1]->episode == 2);
    CHECK(p.entries[1]->relative.has_value());
    const auto m = fast_items(PageFormat::mediabrowser, mb);
    REQUIRE(m.entries.size() == 2);
    CHECK(m.entries[0]->guids.at("imdb") == "tt0000001");  // the smaller of Imdb and IMDB
    CHECK(m.entries[0]->watched);
    CHECK(m.entries[0]->progress_ms == 12345);
    CHECK(m.entries[1]->episode_end == 2);
    CHECK(m.entries[1]->year == 2002);
  }

  SECTION("duplicate keys: the last one counts, as in nlohmann, a null one included") {
    const std::string plex = plex_page(
        R"({"ratingKey":"1","ratingKey":"2","type":"show","type":"movie","title":"a","title":null,"viewCount":1,"viewCount":"4",)"
        R"("Guid":[{"id":"tmdb://5","id":"tmdb://6"}],"Media":[{"Part":[{"file":"x"}],"Part":[{"file":""},{"file":"y"}]}]})");
    CHECK(agrees(plex));
    const auto p = fast_items(PageFormat::plex, plex);
    REQUIRE(p.entries.size() == 1);
    CHECK(p.entries[0]->item_id == "2");
    CHECK(p.entries[0]->title == "");
    CHECK(p.entries[0]->play_count == 4);
    CHECK(p.entries[0]->guids.at("tmdb") == "6");
    CHECK(p.entries[0]->path == "y");
    CHECK(agrees(R"({"MediaContainer":{"Metadata":[]},"MediaContainer":{"Metadata":[)" + plex_movie + "]}}"));
    CHECK(agrees(R"({"Items":[)" + mb_movie + R"(],"Items":null})"));
    CHECK(agrees(mb_page(R"({"Id":"1","Type":"Movie","ProviderIds":{"Tmdb":"10","tmdb":"9","Tmdb":"012","TheMovieDb":"010"}})")));
  }

  SECTION("every odd value in every field reads the same both ways") {
    const std::vector<std::string> odd = {
        "null", "true", "false", "0", "-0", "1", "-1", "12", "\"12\"", "\" +12.5 \"", "\"12.5x\"", "\"\"", "\"yes\"", "\"NO\"",
        "1.5", "-2.5", "1e300", "-1e300", "1e-400", "9.2e18", "9.3e18", "1.5e15", "9e15", "123456789.0", "2147483648",
        "-2147483649", "9223372036854775807", "9223372036854775808", "18446744073709551615", "-9223372036854775808",
        "[]", "{}", "[1]", "{\"id\":\"imdb://tt1\"}", "[{\"id\":\"tmdb://5\"},{\"id\":7},null,\"x\"]",
        "[{\"Part\":[{\"file\":3}]}]", "{\"Played\":true,\"PlayCount\":\"2\"}", "\"2020-01-01T00:00:00Z\"",
        "\"0001-01-01T00:00:00.0000000Z\"", "\"tt0012\"", "\"com.plexapp.agents.hama://anidb-12/1/3\"", "\"a\\u0000b\"",
        "\"\\u00e9t\\u00e9\"", "\"\\ud83d\\ude00\"", "\"movie\"", "\"Episode\"", "\"20021\"", "\"1799-01-01\""};
    const std::vector<std::string> plex_keys = {"ratingKey", "type", "title", "grandparentTitle", "grandparentRatingKey",
                                                "parentIndex", "index", "grandparentGuid", "year", "Guid", "guid",
                                                "librarySectionID", "viewCount", "lastViewedAt", "addedAt", "viewOffset",
                                                "Media"};
    const std::vector<std::string> mb_keys = {"Id", "Type", "Name", "SeriesName", "SeriesId", "ParentIndexNumber",
                                              "IndexNumber", "IndexNumberEnd", "ProductionYear", "PremiereDate",
                                              "ProviderIds", "DateCreated", "Path", "UserData"};
    int pages = 0;
    for (const auto& value : odd) {
      for (const auto& key : plex_keys)
        for (const std::string& base : {plex_movie, plex_episode}) {
          // the odd value first (overridden by the item's own), then last (overriding it)
          const std::string body = base.substr(0, base.size() - 1) + ",\"" + key + "\":" + value + "}";
          agrees(plex_page(body, "\"totalSize\":" + value + ","));
          agrees(plex_page("{\"" + key + "\":" + value + "," + base.substr(1)));
          pages += 2;
        }
      for (const auto& key : mb_keys)
        for (const std::string& base : {mb_movie, mb_episode}) {
          const std::string body = base.substr(0, base.size() - 1) + ",\"" + key + "\":" + value + "}";
          agrees(mb_page(body, "\"TotalRecordCount\":" + value + ","));
          agrees(mb_page(R"({"Id":"p","Type":"Movie","ProviderIds":{"Tvdb":)" + value + R"(,"Imdb":"tt5"}})"));
          pages += 2;
        }
      agrees(value);  // a body that is only the value
      agrees(mb_page(value));
      agrees(plex_page(value));
    }
    CHECK(pages > 4000);
  }

  SECTION("bodies simdjson refuses and nlohmann reads fall back, and the reference reads them") {
    for (const std::string& body :
         {plex_page(R"({"ratingKey":"1","type":"movie","viewCount":18446744073709551616})"),
          mb_page(R"({"Id":"1","Type":"Movie","ProviderIds":{"Tmdb":-9223372036854775809}})"),
          "\xEF\xBB\xBF" + mb_page(mb_movie), mb_page(mb_movie) + std::string(1, '\0') + "trailing"}) {
      for (PageFormat format : {PageFormat::plex, PageFormat::mediabrowser}) {
        const auto c = compare_page(format, body);
        CHECK(c.disagreement == "");
        CHECK_FALSE(c.fast);
        CHECK(c.reference);
      }
    }
  }

  SECTION("bodies both refuse") {
    for (const std::string& body :
         {plex_page(R"({"ratingKey":"1","type":"movie","viewCount":1e999})"), mb_page(R"({"Id":"\uD800","Type":"Movie"})"),
          mb_page("{\"Id\":\"\xC3\x28\",\"Type\":\"Movie\"}"), mb_page(mb_movie).substr(0, 40), std::string(),
          mb_page("{\"Id\":\"a\tb\"}"), std::string("[1]\x0b")}) {
      const auto c = compare_page(PageFormat::mediabrowser, body);
      CHECK(c.disagreement == "");
      CHECK_FALSE(c.fast);
      CHECK_FALSE(c.reference);
    }
  }
}

namespace {

// Answers every request 200 with one body.
class EchoTransport final : public ws::HttpTransport {
 public:
  explicit EchoTransport(std::string body) : body_(std::move(body)) {}
  ws::TransportResult send(const ws::HttpRequest&) override {
    ws::TransportResult out;
    out.response.status = 200;
    out.response.body = body_;
    return out;
  }

 private:
  std::string body_;
};

std::vector<ws::MediaItem> client_page(ws::ServerType type, const std::string& body) {
  ws::ServerConfig server;
  server.name = "srv";
  server.type = type;
  server.url = "http://127.0.0.1:9";
  server.token = "t";
  server.user = "u";
  ws::BackendOptions options;
  options.retry.max_attempts = 1;
  options.transport_factory = [body](const ws::TransportOptions&) { return std::make_unique<EchoTransport>(body); };
  auto client = ws::make_backend_client(server, options);
  auto page = client->fetch_page(ws::Library{"1", "Movies", ws::MediaType::movie, false}, 0, 8);
  REQUIRE(page.ok());
  return page->items;
}

// What the nlohmann reference reads from `body`, as fetch_page hands it on (library id filled).
std::vector<ws::MediaItem> reference_items(PageFormat format, const std::string& body) {
  const auto json = nlohmann::json::parse(body);
  auto page = format == PageFormat::plex ? ws::plex_items_page(json, "srv") : ws::mediabrowser_items_page(json, "srv");
  std::vector<ws::MediaItem> out;
  for (auto& entry : page.entries)
    if (entry) {
      if (format == PageFormat::mediabrowser || entry->library_id.empty()) entry->library_id = "1";
      out.push_back(std::move(*entry));
    }
  return out;
}

}  // namespace

TEST_CASE("the clients read a page through simdjson, or through nlohmann when simdjson refuses it, as before",
          "[page_reader]") {
  const std::string plex_movies =
      R"({"ratingKey":"1","type":"movie","title":"A","viewCount":VC},{"ratingKey":"2","type":"movie","title":"B","viewCount":3})";
  const std::string mb_movies =
      R"({"Id":"1","Type":"Movie","Name":"A","UserData":{"PlayCount":VC}},{"Id":"2","Type":"Movie","Name":"B","UserData":{"PlayCount":3}})";
  for (const std::string vc : {"2", "18446744073709551616"}) {  // the second only nlohmann reads
    INFO(vc);
    auto with = [&](std::string text) { return text.replace(text.find("VC"), 2, vc); };
    const std::string plex = plex_page(with(plex_movies), R"("totalSize":2,)");
    const std::string mb = mb_page(with(mb_movies), R"("TotalRecordCount":2,)");
    std::string padded = plex;
    CHECK(ws::fast_items_page(PageFormat::plex, padded, "srv").has_value() == (vc == "2"));
    const auto plex_items = client_page(ws::ServerType::plex, plex);
    REQUIRE(plex_items.size() == 2);
    CHECK(plex_items == reference_items(PageFormat::plex, plex));
    CHECK(plex_items[0].play_count == (vc == "2" ? 2 : 0));
    for (auto type : {ws::ServerType::jellyfin, ws::ServerType::emby}) {
      const auto items = client_page(type, mb);
      REQUIRE(items.size() == 2);
      CHECK(items == reference_items(PageFormat::mediabrowser, mb));
      CHECK(items[1].play_count == 3);
    }
  }
}

namespace {

// Every JSON value of a file that could be a page or an item, as a body of its own and wrapped as
// one entry of a page; and the file's bytes as they are. Returns how many values were compared.
size_t compare_file(const fs::path& file) {
  const std::string text = read_text(file);
  INFO(file.string());
  agrees(text);
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return 0;
  size_t compared = 0;
  std::vector<const nlohmann::json*> pending{&doc};
  for (size_t i = 0; i < pending.size(); ++i) {
    const nlohmann::json& value = *pending[i];
    if (value.is_object() && (value.contains("MediaContainer") || value.contains("Items") || value.contains("ratingKey") ||
                              value.contains("Id") || value.contains("ProviderIds"))) {
      const std::string body = value.dump();
      agrees(body);
      agrees(plex_page(body));
      agrees(mb_page(body));
      ++compared;
    }
    if (value.is_structured())
      for (const auto& child : value) pending.push_back(&child);
  }
  return compared;
}

}  // namespace

TEST_CASE("the fast page readers agree with nlohmann on the hand-written responses", "[page_reader]") {
  size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(WS_SOURCE_DIR) / "tests" / "data" / "backend"))
    if (entry.path().extension() == ".json") compared += compare_file(entry.path());
  CHECK(compared > 5);
}

TEST_CASE("the fast page readers agree with nlohmann on the recorded responses", "[page_reader][fixtures]") {
  const fs::path dir = ws::testing::fixtures_dir();
  if (!fs::is_directory(dir)) {
    WARN(ws::testing::kFixturesAbsent << dir.string());
    return;
  }
  size_t compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".json") compared += compare_file(entry.path());
  CHECK(compared > 20);
}
