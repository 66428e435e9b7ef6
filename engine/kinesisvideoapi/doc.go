// Package kinesisvideoapi is the Kinesis Video Streams wire protocol over engine/video's store, beside kinesisapi
// and firehoseapi on the same port: the control plane (CreateStream … UpdateDataRetention, GetDataEndpoint), PutMedia
// with its acknowledgement stream, GetMedia, ListFragments, GetMediaForFragmentList and HLS sessions. Handler
// answers those paths (IsAPIPath tells them apart from the Kinesis API's POST "/"); PlaybackServer serves HLS on a
// loopback port of its own for the app's embedded player. Caveats: GetMedia answers MPEG-TS, not KVS's Matroska;
// credentials are not checked.
package kinesisvideoapi
