package io.coedge.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class TimerSlackTest {
    @Test
    void shortParksKeepTheDefaultAndLongOnesGetAQuarterToAHalfOfTheirLength() {
        assertThat(TimerSlack.forPark(1_000)).isEqualTo(TimerSlack.DEFAULT_NS);
        assertThat(TimerSlack.forPark(TimerSlack.MIN_PARK_NS - 1)).isEqualTo(TimerSlack.DEFAULT_NS);
        for (long park : new long[] {TimerSlack.MIN_PARK_NS, 1_000_000, 1_250_000, 5_000_000, 20_000_000}) {
            assertThat(TimerSlack.forPark(park)).as("park %d ns", park).isBetween(park / 4 + 1, park / 2)
                    .satisfies(s -> assertThat(Long.bitCount(s)).isOne());
        }
    }

    /** The calling thread's slack as Linux reports it. */
    private static long threadSlackNs() {
        return TimerSlack.current();
    }

    @Test
    void aLongIdleParkGivesTheThreadSlackAndWorkGivesItTheDefaultBack() throws Exception {
        assumeTrue(TimerSlack.available() && TimerSlack.current() > 0, "timer slack is Linux's: skipped here");
        Thread t = new Thread(() -> {
            try {
                long[] now = {0};
                AdaptiveIdleStrategy s = new AdaptiveIdleStrategy(() -> now[0], 0, 0, 1_000, 1_000_000);
                s.idle(0); // just started: a 1 µs park, the default slack
                assertThat(threadSlackNs()).isEqualTo(TimerSlack.DEFAULT_NS);
                now[0] += 40_000_000; // idle 40 ms: parks of the 1 ms maximum
                s.idle(0);
                assertThat(threadSlackNs()).isEqualTo(TimerSlack.forPark(1_000_000)).isGreaterThan(TimerSlack.DEFAULT_NS);
                s.idle(1); // work: the thread's usual precision again
                assertThat(threadSlackNs()).isEqualTo(TimerSlack.DEFAULT_NS);
                // Two strategies on one thread (a worker's control loop has one for computing and one between
                // requests): a short park of the second after a long one of the first gets the default back.
                AdaptiveIdleStrategy other = new AdaptiveIdleStrategy(() -> now[0], 0, 0, 1_000, 5_000_000);
                s.idle(0); // idle again from now
                now[0] += 40_000_000;
                s.idle(0);
                assertThat(threadSlackNs()).isGreaterThan(TimerSlack.DEFAULT_NS);
                other.idle(0); // just started: a 1 µs park
                assertThat(threadSlackNs()).isEqualTo(TimerSlack.DEFAULT_NS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        Throwable[] failure = new Throwable[1];
        t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
        t.start();
        t.join();
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }
}
