package container

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Matroska carries H.264 as ISO/IEC 14496-15 has it (length-prefixed NAL units, the parameter sets once in the
// track's CodecPrivate) and AAC as raw frames (the AudioSpecificConfig in CodecPrivate); MPEG-TS wants both
// self-describing: H.264 in Annex B with start codes and the parameter sets in-band, AAC behind ADTS headers.
// These convert one frame at a time.

// NAL unit types that matter here.
const (
	nalIDR = 5
	nalSPS = 7
	nalPPS = 8
	nalAUD = 9
)

var (
	startCode = []byte{0, 0, 0, 1}
	// an access unit delimiter (primary_pic_type 7: any slice type): HLS players find frame edges by it
	audNAL = []byte{0, 0, 0, 1, nalAUD, 0xF0}
)

// avcConfig is an AVCDecoderConfigurationRecord.
type avcConfig struct {
	lengthSize int      // bytes of each NAL unit's length prefix: 1, 2 or 4
	params     [][]byte // SPS then PPS NAL units
}

// parseAVCConfig reads the record from a V_MPEG4/ISO/AVC track's CodecPrivate.
func parseAVCConfig(b []byte) (avcConfig, error) {
	bad := func(why string) (avcConfig, error) {
		return avcConfig{}, fmt.Errorf("%w: CodecPrivate of the H.264 track is not an AVC configuration record (%s)", ErrCorrupt, why)
	}
	if len(b) < 7 {
		return bad(fmt.Sprintf("%d bytes, at least 7", len(b)))
	}
	if b[0] != 1 {
		return bad(fmt.Sprintf("version %d, want 1", b[0]))
	}
	c := avcConfig{lengthSize: int(b[4]&3) + 1}
	if c.lengthSize == 3 {
		return bad("3-byte NAL lengths")
	}
	rest := b[5:]
	for _, kind := range []string{"SPS", "PPS"} {
		if len(rest) < 1 {
			return bad("no " + kind + " count")
		}
		count := int(rest[0])
		if kind == "SPS" {
			count &= 0x1F
		}
		rest = rest[1:]
		for range count {
			if len(rest) < 2 {
				return bad("a cut " + kind)
			}
			n := int(binary.BigEndian.Uint16(rest))
			if len(rest) < 2+n || n == 0 {
				return bad("a cut " + kind)
			}
			c.params = append(c.params, rest[2:2+n])
			rest = rest[2+n:]
		}
	}
	return c, nil
}

// annexB turns one access unit into Annex B: a delimiter, then (before a key frame that does not carry its own)
// the parameter sets, then its NAL units with start codes.
func (c avcConfig) annexB(au []byte, key bool) ([]byte, error) {
	var nals [][]byte
	hasParams := false
	for rest := au; len(rest) > 0; {
		if len(rest) < c.lengthSize {
			return nil, fmt.Errorf("%w: an H.264 frame ends inside a NAL unit length", ErrCorrupt)
		}
		n := 0
		for _, b := range rest[:c.lengthSize] {
			n = n<<8 | int(b)
		}
		rest = rest[c.lengthSize:]
		if n > len(rest) {
			return nil, fmt.Errorf("%w: an H.264 NAL unit of %d bytes in a frame with %d left", ErrCorrupt, n, len(rest))
		}
		if n > 0 {
			nal := rest[:n]
			switch nal[0] & 0x1F {
			case nalSPS:
				hasParams = true
			case nalAUD:
				nal = nil // ours goes first
			}
			if nal != nil {
				nals = append(nals, nal)
			}
		}
		rest = rest[n:]
	}
	if len(nals) == 0 {
		return nil, fmt.Errorf("%w: an H.264 frame without NAL units", ErrCorrupt)
	}
	size := len(audNAL)
	if key && !hasParams {
		for _, p := range c.params {
			size += len(startCode) + len(p)
		}
	}
	for _, n := range nals {
		size += len(startCode) + len(n)
	}
	out := bytes.NewBuffer(make([]byte, 0, size))
	out.Write(audNAL)
	if key && !hasParams {
		for _, p := range c.params {
			out.Write(startCode)
			out.Write(p)
		}
	}
	for _, n := range nals {
		out.Write(startCode)
		out.Write(n)
	}
	return out.Bytes(), nil
}

// aacConfig is what an ADTS header needs from an AudioSpecificConfig.
type aacConfig struct {
	objectType, frequencyIndex, channels int
}

// parseAACConfig reads the AudioSpecificConfig of an A_AAC track's CodecPrivate.
func parseAACConfig(b []byte) (aacConfig, error) {
	if len(b) < 2 {
		return aacConfig{}, fmt.Errorf("%w: CodecPrivate of the AAC track: %d bytes, an AudioSpecificConfig has at least 2", ErrCorrupt, len(b))
	}
	c := aacConfig{objectType: int(b[0] >> 3), frequencyIndex: int(b[0]&7)<<1 | int(b[1]>>7), channels: int(b[1]>>3) & 0xF}
	switch {
	case c.objectType < 1 || c.objectType > 4:
		// ADTS has two bits for the profile: Main, LC, SSR, LTP; HE-AAC and the rest need other carriage
		return c, fmt.Errorf("%w: AAC object type %d; MPEG-TS (ADTS) carries types 1–4 (Main, LC, SSR, LTP)", ErrUnsupported, c.objectType)
	case c.frequencyIndex > 12:
		return c, fmt.Errorf("%w: AAC sampling frequency index %d; ADTS carries 0–12", ErrUnsupported, c.frequencyIndex)
	case c.channels == 0 || c.channels > 7:
		return c, fmt.Errorf("%w: AAC channel configuration %d; ADTS carries 1–7", ErrUnsupported, c.channels)
	}
	return c, nil
}

// adts puts an ADTS header (no CRC) before one raw AAC frame.
func (c aacConfig) adts(frame []byte) ([]byte, error) {
	n := len(frame) + 7
	if n > 0x1FFF {
		return nil, fmt.Errorf("%w: an AAC frame of %d bytes; ADTS frames are at most 8,184", ErrCorrupt, len(frame))
	}
	out := make([]byte, 7, n)
	out[0] = 0xFF
	out[1] = 0xF1 // MPEG-4, layer 0, no CRC
	out[2] = byte(c.objectType-1)<<6 | byte(c.frequencyIndex)<<2 | byte(c.channels>>2)
	out[3] = byte(c.channels&3)<<6 | byte(n>>11)
	out[4] = byte(n >> 3)
	out[5] = byte(n&7)<<5 | 0x1F
	out[6] = 0xFC // buffer fullness 0x7FF (variable rate), one raw data block
	return append(out, frame...), nil
}
