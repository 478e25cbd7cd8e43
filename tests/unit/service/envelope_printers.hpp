#pragma once
// Readable GoogleTest output for envelope types (found by argument-dependent lookup).

#include <ostream>

#include "hserver/common/envelope.hpp"

namespace hserver {

inline void PrintTo(const Header& header, std::ostream* out) {
  *out << header.name << ": " << header.value;
}

}  // namespace hserver
