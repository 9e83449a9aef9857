// Options of ws-ingest, with their defaults; validated at construction of the ingest.
#pragma once

#include <string>

#include "ws/config.h"
#include "ws/result.h"

namespace ws {

struct IngestOptions {
  DataPaths paths;
  AppConfig config;
};

// Checks what the ingest needs before it starts; the message names the key and the value.
Result<Ok> validate(const IngestOptions& options);

}  // namespace ws
