// Closing an Asio socket or descriptor on the streaming server's thread. Asio's close() throws
// when ::close() reports an error (EIO, EINTR, ...), and nothing on that thread catches; the
// descriptor is released either way, so the error is ignored.
#pragma once

#include "boost/system/error_code.hpp"

namespace cloison::streaming {

template <typename Closable>
void CloseQuietly(Closable& closable) {
  boost::system::error_code ignored;
  closable.close(ignored);
}

}  // namespace cloison::streaming
