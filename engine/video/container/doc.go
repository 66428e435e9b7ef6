// Package container reads the media a Kinesis Video producer sends — MPEG-TS (188-, 192- and 204-byte packets) or
// Matroska/WebM with H.264 (and AAC) — and cuts it into fragments that each start at a key frame and are stored as
// self-contained MPEG-TS segments. It holds no state and knows nothing of streams: engine/video stores what it
// emits. Caveats: only H.264 video is accepted (other codecs are refused by name, as KVS's HLS would); a fragment
// is capped at KVS's 50 MB and 20 s, cut early at a key frame where possible; a clock stepping back or wrapping
// ends the fragment at the next key frame.
package container
