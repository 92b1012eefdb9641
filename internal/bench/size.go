package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits maps a lower-cased unit suffix to its multiplier. Every unit is
// binary (powers of 1024): "KB" means KiB here, matching SQS's own
// documentation, whose historical "256 KB" message limit is 262,144 bytes.
var sizeUnits = map[string]float64{
	"":    1,
	"b":   1,
	"k":   1 << 10,
	"kb":  1 << 10,
	"kib": 1 << 10,
	"m":   1 << 20,
	"mb":  1 << 20,
	"mib": 1 << 20,
	"g":   1 << 30,
	"gb":  1 << 30,
	"gib": 1 << 30,
}

// ParseSize parses a message size such as "512", "512B", "2k", "4KB",
// "1KiB", "1.5KiB" or "1MiB" into a byte count. Units are case-insensitive
// and all binary (k = KB = KiB = 1024 bytes). A fractional value is allowed
// if the result is a whole number of bytes. The size must be positive.
func ParseSize(s string) (int, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("bench: invalid size %q: missing number", s)
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("bench: invalid size %q: unknown unit %q (use B, KiB, MiB, GiB)", s, t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("bench: invalid size %q: %w", s, err)
	}
	b := v * mult
	if b != math.Trunc(b) {
		return 0, fmt.Errorf("bench: invalid size %q: not a whole number of bytes", s)
	}
	if b <= 0 {
		return 0, fmt.Errorf("bench: invalid size %q: must be positive", s)
	}
	if b > math.MaxInt32 {
		return 0, fmt.Errorf("bench: invalid size %q: too large", s)
	}
	return int(b), nil
}
