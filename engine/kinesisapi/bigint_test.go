package kinesisapi

import "math/big"

// bigInt helps tests compare decimal hash keys.
type bigInt struct{ big.Int }

func (b *bigInt) set(s string) (*bigInt, bool) {
	_, ok := b.SetString(s, 10)
	return b, ok
}

func (b *bigInt) plusOneIs(o *bigInt) bool {
	return new(big.Int).Add(&b.Int, big.NewInt(1)).Cmp(&o.Int) == 0
}
