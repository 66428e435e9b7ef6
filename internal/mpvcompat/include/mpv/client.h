/* Shardlab's shim over libmpv's client.h: go-mpv v0.4.0 names two calls of client API 2.1 (libmpv 0.36) that
 * Debian 12's libmpv 0.35 (API 2.0) lacks. This header is found first (the Makefile puts its directory on
 * CGO_CFLAGS), includes the system one, and declares the two when the API is older; package mpvcompat defines
 * them. On libmpv 0.36 and later it adds nothing. */
#ifndef SHARDLAB_MPV_CLIENT_SHIM_H
#define SHARDLAB_MPV_CLIENT_SHIM_H
#include_next <mpv/client.h>
#if MPV_CLIENT_API_VERSION < MPV_MAKE_VERSION(2, 1)
int64_t mpv_get_time_ns(mpv_handle *ctx);
int mpv_del_property(mpv_handle *ctx, const char *name);
#endif
#endif
