// Package video keeps Kinesis-Video-like streams: media cut into time-stamped fragments (by engine/video/container)
// that each start at a key frame, stored in the engine's database, listed, read back as media and served as HLS
// playlists for live and on-demand playback. Its wire protocol is engine/kinesisvideoapi.
package video
