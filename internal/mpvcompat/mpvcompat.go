// Package mpvcompat supplies the two libmpv client API 2.1 calls go-mpv v0.4.0 names when the system's libmpv is
// older (Debian 12 ships 0.35, API 2.0): the time in nanoseconds from the microsecond clock, and a property
// delete that answers "not implemented". Import it beside go-mpv; build with CGO_CFLAGS naming include/ (the
// Makefile does), so go-mpv sees the declarations. On a newer libmpv it compiles to nothing.
package mpvcompat

/*
#cgo LDFLAGS: -lmpv
#include <mpv/client.h>
#if MPV_CLIENT_API_VERSION < MPV_MAKE_VERSION(2, 1)
int64_t mpv_get_time_ns(mpv_handle *ctx) { return mpv_get_time_us(ctx) * 1000; }
int mpv_del_property(mpv_handle *ctx, const char *name) { (void)ctx; (void)name; return MPV_ERROR_NOT_IMPLEMENTED; }
#endif
*/
import "C"
