package io.coedge.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The CFS period the harness gives each device cgroup, and the link bursts it reads back from tc. */
class TestbedTest {
    @Test
    void periodStaysAsGivenWhileTheQuotaIsAtLeastTheKernelsMinimum() {
        assertThat(Testbed.periodFor(0.5, 5000)).isEqualTo(5000);
        assertThat(Testbed.periodFor(0.2, 5000)).isEqualTo(5000);
        assertThat(Testbed.periodFor(2.0, 1000)).isEqualTo(1000);
    }

    @Test
    void periodGrowsSoThatASmallQuotaKeepsItsShareOfACore() {
        // 0.2 core of a 2 ms period would be 0.4 ms, below the kernel's 1 ms minimum: the old rounding up to 1 ms
        // gave the device half a core
        long p = Testbed.periodFor(0.2, 2000);
        assertThat(p).isEqualTo(5000);
        assertThat(Math.round(0.2 * p)).isGreaterThanOrEqualTo(Testbed.MIN_QUOTA_US);
        assertThat(Testbed.periodFor(0.3, 1000)).isEqualTo(3334);
    }

    @Test
    void nonPositiveQuotaIsRejected() {
        assertThatThrownBy(() -> Testbed.periodFor(0, 5000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
    }

    @Test
    void theBurstComesFromTheTbfInTcsJsonAndIsZeroWithoutOne() {
        // as 'tc -j qdisc show dev cew3' prints it for scripts/testbed's 50 Mbit/s link
        String tbf = "[{\"kind\":\"tbf\",\"handle\":\"8221:\",\"root\":true,\"refcnt\":3,"
                + "\"options\":{\"rate\":6250000,\"burst\":65531,\"lat\":200000}}]";
        assertThat(Testbed.tbfBurst(tbf)).isEqualTo(65531);
        assertThat(Testbed.tbfBurst("[{\"kind\":\"noqueue\",\"handle\":\"0:\",\"root\":true,\"refcnt\":2,"
                + "\"options\":{}}]")).isZero();
    }
}
