#include "textflag.h"

// Per 128-bit lane: twelve input bytes at 0..11 spread so each 32-bit word holds one 3-byte group as b1 b0 b2 b1.
DATA encShuffle<>+0x00(SB)/8, $0x0405030401020001
DATA encShuffle<>+0x08(SB)/8, $0x0a0b090a07080607
DATA encShuffle<>+0x10(SB)/8, $0x0405030401020001
DATA encShuffle<>+0x18(SB)/8, $0x0a0b090a07080607
GLOBL encShuffle<>(SB), RODATA|NOPTR, $32

// What to add to a sextet to make its character, indexed by the class the sextet falls in: 0 for a–z, 1–10 for
// 0–9, 11 for '+', 12 for '/', 13 for A–Z.
DATA encOffset<>+0x00(SB)/8, $0xfcfcfcfcfcfcfc47
DATA encOffset<>+0x08(SB)/8, $0x000041f0edfcfcfc
DATA encOffset<>+0x10(SB)/8, $0xfcfcfcfcfcfcfc47
DATA encOffset<>+0x18(SB)/8, $0x000041f0edfcfcfc
GLOBL encOffset<>(SB), RODATA|NOPTR, $32

// func encodeAVX2(dst, src []byte) int
//
// Wojciech Muła and Daniel Lemire's vector encoding: 24 bytes become 32 characters a round. Each round loads 28
// bytes (two 16-byte loads, the second at +12), so it stops while fewer than 28 remain and leaves the tail to the
// caller. Returns the bytes of src consumed, a multiple of 24; dst must hold consumed/24*32 characters.
TEXT ·encodeAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	XORQ AX, AX

	MOVL $0x0fc0fc00, DX
	VMOVD DX, X8
	VPBROADCASTD X8, Y8
	MOVL $0x04000040, DX
	VMOVD DX, X9
	VPBROADCASTD X9, Y9
	MOVL $0x003f03f0, DX
	VMOVD DX, X10
	VPBROADCASTD X10, Y10
	MOVL $0x01000010, DX
	VMOVD DX, X11
	VPBROADCASTD X11, Y11
	MOVL $0x33333333, DX // 51
	VMOVD DX, X12
	VPBROADCASTD X12, Y12
	MOVL $0x1a1a1a1a, DX // 26
	VMOVD DX, X13
	VPBROADCASTD X13, Y13
	MOVL $0x0d0d0d0d, DX // 13
	VMOVD DX, X14
	VPBROADCASTD X14, Y14
	VMOVDQU encShuffle<>(SB), Y15
	VMOVDQU encOffset<>(SB), Y7

loop:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $28
	JLT done

	VMOVDQU (SI)(AX*1), X0
	VINSERTI128 $1, 12(SI)(AX*1), Y0, Y0
	VPSHUFB Y15, Y0, Y0

	// Sextets into bytes: a and c by a high multiply, b and d by a low one.
	VPAND Y8, Y0, Y1
	VPMULHUW Y9, Y1, Y1
	VPAND Y10, Y0, Y2
	VPMULLW Y11, Y2, Y2
	VPOR Y1, Y2, Y0

	// Sextets into characters.
	VPSUBUSB Y12, Y0, Y1
	VPCMPGTB Y0, Y13, Y2
	VPAND Y14, Y2, Y2
	VPOR Y2, Y1, Y1
	VPSHUFB Y1, Y7, Y1
	VPADDB Y0, Y1, Y0

	VMOVDQU Y0, (DI)
	ADDQ $32, DI
	ADDQ $24, AX
	JMP loop

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// Decoding tables, by nibble: lo and hi share a bit exactly when a character is outside the alphabet; roll is what
// to add to a character to make its sextet, indexed by its high nibble (less one for '/').
DATA decLo<>+0x00(SB)/8, $0x1111111111111115
DATA decLo<>+0x08(SB)/8, $0x1a1b1b1b1a131111
DATA decLo<>+0x10(SB)/8, $0x1111111111111115
DATA decLo<>+0x18(SB)/8, $0x1a1b1b1b1a131111
GLOBL decLo<>(SB), RODATA|NOPTR, $32

DATA decHi<>+0x00(SB)/8, $0x0804080402011010
DATA decHi<>+0x08(SB)/8, $0x1010101010101010
DATA decHi<>+0x10(SB)/8, $0x0804080402011010
DATA decHi<>+0x18(SB)/8, $0x1010101010101010
GLOBL decHi<>(SB), RODATA|NOPTR, $32

DATA decRoll<>+0x00(SB)/8, $0xb9b9bfbf04131000
DATA decRoll<>+0x08(SB)/8, $0x0000000000000000
DATA decRoll<>+0x10(SB)/8, $0xb9b9bfbf04131000
DATA decRoll<>+0x18(SB)/8, $0x0000000000000000
GLOBL decRoll<>(SB), RODATA|NOPTR, $32

// Per lane: the three bytes of each 32-bit word, high first, packed into the lane's first twelve bytes.
DATA decShuffle<>+0x00(SB)/8, $0x090a040506000102
DATA decShuffle<>+0x08(SB)/8, $0xffffffff0c0d0e08
DATA decShuffle<>+0x10(SB)/8, $0x090a040506000102
DATA decShuffle<>+0x18(SB)/8, $0xffffffff0c0d0e08
GLOBL decShuffle<>(SB), RODATA|NOPTR, $32

// The two lanes' twelve bytes side by side.
DATA decPermute<>+0x00(SB)/8, $0x0000000100000000
DATA decPermute<>+0x08(SB)/8, $0x0000000400000002
DATA decPermute<>+0x10(SB)/8, $0x0000000600000005
DATA decPermute<>+0x18(SB)/8, $0x0000000700000003
GLOBL decPermute<>(SB), RODATA|NOPTR, $32

// func decodeAVX2(dst, src []byte) (consumed, written int)
//
// The vector decoding of the same authors: 32 characters become 24 bytes a round, stored with a 32-byte write. It
// stops at the first round holding anything outside the alphabet (padding included) or when fewer than 32
// characters or 32 bytes of room remain, and leaves the rest, errors and the end's rules to the caller.
TEXT ·decodeAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), R8
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	XORQ AX, AX // characters consumed
	XORQ BX, BX // bytes written

	MOVL $0x2f2f2f2f, DX
	VMOVD DX, X8
	VPBROADCASTD X8, Y8
	MOVL $0x01400140, DX
	VMOVD DX, X9
	VPBROADCASTD X9, Y9
	MOVL $0x00011000, DX
	VMOVD DX, X10
	VPBROADCASTD X10, Y10
	VMOVDQU decLo<>(SB), Y11
	VMOVDQU decHi<>(SB), Y12
	VMOVDQU decRoll<>(SB), Y13
	VMOVDQU decShuffle<>(SB), Y14
	VMOVDQU decPermute<>(SB), Y15

decloop:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $32
	JLT decdone
	MOVQ R8, DX
	SUBQ BX, DX
	CMPQ DX, $32
	JLT decdone

	VMOVDQU (SI)(AX*1), Y0
	VPSRLD $4, Y0, Y1
	VPAND Y8, Y0, Y2
	VPSHUFB Y2, Y11, Y3
	VPCMPEQB Y8, Y0, Y4
	VPAND Y8, Y1, Y1
	VPSHUFB Y1, Y12, Y5
	VPTEST Y5, Y3
	JNZ decdone
	VPADDB Y1, Y4, Y4
	VPSHUFB Y4, Y13, Y4
	VPADDB Y4, Y0, Y0

	VPMADDUBSW Y9, Y0, Y0
	VPMADDWD Y10, Y0, Y0
	VPSHUFB Y14, Y0, Y0
	VPERMD Y0, Y15, Y0

	VMOVDQU Y0, (DI)(BX*1)
	ADDQ $32, AX
	ADDQ $24, BX
	JMP decloop

decdone:
	VZEROUPPER
	MOVQ AX, consumed+48(FP)
	MOVQ BX, written+56(FP)
	RET
