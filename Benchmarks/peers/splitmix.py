"""SplitMix64, bit for bit the same as Tideline's `Statistics.SplitMix64`: the shared source of the streams that the
reference scripts and the Swift tests both regenerate."""

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        """Integer in [0, n): top bits times n (Lemire's multiply-shift without rejection)."""
        return (self.next() * n) >> 64

    def unit(self):
        """Double in [0, 1) from 53 random bits."""
        return (self.next() >> 11) * 2.0 ** -53
