#include "ws/json_fields.h"

#include <catch2/catch.hpp>

using namespace ws;
using nlohmann::json;

TEST_CASE("numbers are read whether sent as numbers or strings", "[json_fields][lenient]") {
  const json obj = {{"a", 12}, {"b", "34"}, {"c", 5.9}, {"d", " 7.25 "}, {"e", "x1"}, {"f", nullptr}, {"g", true},
                    {"h", "\t+8\n"}, {"i", "1234."}, {"j", 18446744073709551615ULL}, {"k", "12x"}};
  CHECK(lenient::get_int(obj, "a") == 12);
  CHECK(lenient::get_int(obj, "b") == 34);
  CHECK(lenient::get_int(obj, "c") == 5);
  CHECK(lenient::get_int(obj, "d") == 7);
  CHECK_FALSE(lenient::get_int(obj, "e"));
  CHECK_FALSE(lenient::get_int(obj, "f"));
  CHECK_FALSE(lenient::get_int(obj, "missing"));
  CHECK_FALSE(lenient::get_int(obj, "g"));
  CHECK(lenient::get_int(obj, "h") == 8);
  CHECK(lenient::get_int(obj, "i") == 1234);
  CHECK_FALSE(lenient::get_int(obj, "j"));  // beyond int64: not wrapped into a negative number
  CHECK_FALSE(lenient::get_int(obj, "k"));
}

TEST_CASE("small numbers are narrowed to int only when they fit", "[json_fields][lenient]") {
  const json obj = {{"season", "3"}, {"huge", 5000000000LL}, {"negative", -1}};
  CHECK(lenient::get_int32(obj, "season") == 3);
  CHECK_FALSE(lenient::get_int32(obj, "huge"));
  CHECK(lenient::get_int32(obj, "negative") == -1);
  CHECK(lenient::get_int32(obj, "missing").value_or(-1) == -1);
}

TEST_CASE("strings, bools and non-objects are read without throwing", "[json_fields][lenient]") {
  const json obj = {{"s", "x"}, {"n", 42}, {"t", "TRUE"}, {"z", 0}, {"b", false}, {"u", 18446744073709551615ULL},
                    {"y", "Yes"}, {"two", 2}};
  CHECK(lenient::get_string(obj, "n") == "42");
  CHECK(lenient::get_string(obj, "s") == "x");
  CHECK(lenient::get_string(obj, "u") == "18446744073709551615");
  CHECK(lenient::get_bool(obj, "t") == true);
  CHECK(lenient::get_bool(obj, "z") == false);
  CHECK(lenient::get_bool(obj, "b") == false);
  CHECK(lenient::get_bool(obj, "y") == true);
  CHECK(lenient::get_bool(obj, "two") == true);
  CHECK_FALSE(lenient::get_bool(obj, "s"));
  CHECK_FALSE(lenient::get_string(json::array({1, 2}), "s"));
  CHECK_FALSE(lenient::get_int(json("text"), "n"));
  CHECK(lenient::member(json(nullptr), "x") == nullptr);
}

TEST_CASE("members and dates are found only where they are what is asked", "[json_fields][lenient]") {
  const json obj = {{"o", {{"k", 1}}}, {"a", json::array()}, {"nul", nullptr}, {"date", "2025-08-15T21:19:42Z"},
                    {"never", "0001-01-01T00:00:00Z"}, {"number", 1755292782}};
  CHECK(lenient::object_member(obj, "o") == &obj["o"]);
  CHECK(lenient::object_member(obj, "a") == nullptr);
  CHECK(lenient::member(obj, "a") == &obj["a"]);
  CHECK(lenient::member(obj, "nul") == nullptr);
  CHECK(lenient::get_date(obj, "date") == 1755292782);
  CHECK_FALSE(lenient::get_date(obj, "never"));
  CHECK_FALSE(lenient::get_date(obj, "number"));
  CHECK_FALSE(lenient::get_date(obj, "missing"));
}

TEST_CASE("our own types write only what differs from the default, and read absent as default",
          "[json_fields]") {
  json j = json::object();
  json_fields::put(j, "zero", 0);
  json_fields::put(j, "seven", 7);
  json_fields::put(j, "season", -1, -1);
  CHECK(j == json{{"seven", 7}});
  int seven = 0, season = -1;
  json_fields::get(j, "seven", seven);
  json_fields::get(j, "season", season);
  CHECK(seven == 7);
  CHECK(season == -1);
  CHECK_THROWS(json_fields::get(json{{"seven", "7"}}, "seven", seven));  // our own data: a wrong type is a bug
}
