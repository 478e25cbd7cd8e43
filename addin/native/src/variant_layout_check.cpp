// Compile-time check of the add-in's tVariant against the checked-in table
// (common/include/hserver/common/shm/layout_table.hpp), for the platform of this build: the Windows x86
// dll, which cannot run here, is verified by compiling. Nothing here runs.
#include <cstddef>

#include "hserver/addin/native/native_api.hpp"
#include "hserver/common/shm/layout_table.hpp"

namespace {

namespace table = hserver::shm::layout_table;
constexpr const table::VariantRow& kRow = table::find_variant(table::this_platform());

static_assert(sizeof(tVariant) == kRow.size, "tVariant size differs from layout_table.hpp");
static_assert(offsetof(tVariant, cbElements) == kRow.cb_elements, "tVariant::cbElements offset differs");
static_assert(offsetof(tVariant, vt) == kRow.vt, "tVariant::vt offset differs");
static_assert(offsetof(tVariant, str) + offsetof(tVariantString, strLen) == kRow.str_len, "strLen offset differs");
static_assert(offsetof(tVariant, wstr) + offsetof(tVariantWString, wstrLen) == kRow.str_len, "wstrLen offset differs");

}  // namespace
