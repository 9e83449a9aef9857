#include "ws/lenient_json.h"

#include <catch2/catch.hpp>

using namespace ws;
using nlohmann::json;

TEST_CASE("numbers are read whether sent as numbers or strings", "[lenient_json]") {
  const json obj = {{"a", 12}, {"b", "34"}, {"c", 5.9}, {"d", " 7.25 "}, {"e", "x1"}, {"f", nullptr}, {"g", true}};
  CHECK(lenient::get_int(obj, "a") == 12);
  CHECK(lenient::get_int(obj, "b") == 34);
  CHECK(lenient::get_int(obj, "c") == 5);
  CHECK(lenient::get_int(obj, "d") == 7);
  CHECK_FALSE(lenient::get_int(obj, "e"));
  CHECK_FALSE(lenient::get_int(obj, "f"));
  CHECK_FALSE(lenient::get_int(obj, "missing"));
  CHECK_FALSE(lenient::get_int(obj, "g"));
}

TEST_CASE("strings, bools and non-objects are read without throwing", "[lenient_json]") {
  const json obj = {{"s", "x"}, {"n", 42}, {"t", "TRUE"}, {"z", 0}, {"b", false}};
  CHECK(lenient::get_string(obj, "n") == "42");
  CHECK(lenient::get_string(obj, "s") == "x");
  CHECK(lenient::get_bool(obj, "t") == true);
  CHECK(lenient::get_bool(obj, "z") == false);
  CHECK(lenient::get_bool(obj, "b") == false);
  CHECK_FALSE(lenient::get_bool(obj, "s"));
  CHECK_FALSE(lenient::get_string(json::array({1, 2}), "s"));
  CHECK_FALSE(lenient::get_int(json("text"), "n"));
  CHECK(lenient::member(json(nullptr), "x") == nullptr);
}
