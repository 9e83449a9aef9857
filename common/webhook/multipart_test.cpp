#include <catch2/catch.hpp>

#include "webhook_test_util.h"
#include "ws/multipart.h"

using namespace ws;
using ws::test::FormPart;

TEST_CASE("the multipart boundary is read from the content type, quoted or not", "[multipart]") {
  SECTION("bare") {
    auto b = multipart_boundary("multipart/form-data; boundary=abc123");
    REQUIRE(b.ok());
    CHECK(*b == "abc123");
  }
  SECTION("quoted, with other parameters and odd case") {
    auto b = multipart_boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c\"");
    REQUIRE(b.ok());
    CHECK(*b == "a b:c");
  }
  SECTION("missing") {
    auto b = multipart_boundary("multipart/form-data");
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().message.find("no boundary") != std::string::npos);
  }
  SECTION("not multipart") {
    auto b = multipart_boundary("application/json");
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().message.find("not multipart/form-data") != std::string::npos);
  }
  SECTION("too long or with invalid characters") {
    CHECK_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
    CHECK_FALSE(multipart_boundary("multipart/form-data; boundary=\"a{b}\"").ok());
  }
}

TEST_CASE("a multipart body splits into named parts and binary parts are skipped", "[multipart]") {
  const std::string jpeg = test::fake_jpeg();
  const std::string body = test::multipart_body(
      "XyZ", {{"payload", "{\"a\":1}", "application/json", ""}, {"thumb", jpeg, "image/jpeg", "thumb.jpg"}});
  auto parts = parse_multipart(body, "XyZ");
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].name == "payload");
  CHECK((*parts)[0].body == "{\"a\":1}");
  CHECK((*parts)[0].content_type == "application/json");
  CHECK_FALSE((*parts)[0].skipped);
  CHECK((*parts)[1].name == "thumb");
  CHECK((*parts)[1].filename == "thumb.jpg");
  CHECK((*parts)[1].skipped);
  CHECK((*parts)[1].body.empty());
  CHECK((*parts)[1].size == jpeg.size());
  REQUIRE(find_part(*parts, "payload") != nullptr);
  CHECK(find_part(*parts, "data") == nullptr);
}

TEST_CASE("multipart accepts bare LF line ends, a preamble and an empty part", "[multipart]") {
  SECTION("LF") {
    const std::string body = test::multipart_body("b", {{"data", "x\ny", "", ""}}, "\n");
    auto parts = parse_multipart(body, "b");
    REQUIRE(parts.ok());
    REQUIRE(parts->size() == 1);
    CHECK((*parts)[0].body == "x\ny");
  }
  SECTION("preamble and epilogue") {
    const std::string body = "this is a preamble\r\n" + test::multipart_body("b", {{"data", "v", "", ""}}) + "epilogue";
    auto parts = parse_multipart(body, "b");
    REQUIRE(parts.ok());
    CHECK((*parts)[0].body == "v");
  }
  SECTION("empty content") {
    auto parts = parse_multipart(test::multipart_body("b", {{"data", "", "", ""}}), "b");
    REQUIRE(parts.ok());
    CHECK((*parts)[0].body.empty());
  }
  SECTION("no parts at all") {
    auto parts = parse_multipart("--b--\r\n", "b");
    REQUIRE(parts.ok());
    CHECK(parts->empty());
  }
}

TEST_CASE("broken multipart bodies are refused with a sentence", "[multipart]") {
  const std::string good = test::multipart_body("b", {{"data", "{}", "", ""}});
  SECTION("boundary absent from the body") {
    auto r = parse_multipart(good, "other");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("does not contain its boundary") != std::string::npos);
  }
  SECTION("truncated before the closing boundary") {
    for (size_t cut : {good.size() - 9, good.size() / 2, size_t{5}}) {
      auto r = parse_multipart(good.substr(0, cut), "b");
      CHECK_FALSE(r.ok());
    }
  }
  SECTION("headers without a blank line") {
    auto r = parse_multipart("--b\r\nContent-Disposition: form-data; name=\"x\"", "b");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("no blank line") != std::string::npos);
  }
  SECTION("garbage after a boundary") {
    auto r = parse_multipart("--bXYZ\r\n\r\nv\r\n--b--", "b");
    CHECK_FALSE(r.ok());
  }
  SECTION("a header line without a colon") {
    auto r = parse_multipart("--b\r\nnot a header\r\n\r\nv\r\n--b--\r\n", "b");
    CHECK_FALSE(r.ok());
  }
  SECTION("too many parts") {
    std::vector<FormPart> many(40, FormPart{"p", "v", "", ""});
    auto r = parse_multipart(test::multipart_body("b", many), "b");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("more than 32 parts") != std::string::npos);
  }
  SECTION("oversized headers") {
    const std::string body = "--b\r\nX-Long: " + std::string(10000, 'a') + "\r\n\r\nv\r\n--b--\r\n";
    auto r = parse_multipart(body, "b");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("headers over") != std::string::npos);
  }
}

TEST_CASE("every prefix of a multipart body parses or fails without crashing", "[multipart]") {
  const std::string body = test::multipart_body(
      "b", {{"payload", "{\"event\":\"x\"}", "application/json", ""}, {"thumb", test::fake_jpeg(), "image/jpeg", "t.jpg"}});
  size_t ok = 0;
  for (size_t n = 0; n <= body.size(); n += 7) ok += parse_multipart(body.substr(0, n), "b").ok() ? 1 : 0;
  CHECK(ok < body.size() / 7);  // most prefixes are refused
  CHECK(parse_multipart(body, "b").ok());
}
