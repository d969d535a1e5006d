package io.coedge.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AdaptiveIdleStrategyTest {
    private long now = 1_000_000;

    private AdaptiveIdleStrategy idling(long minNs, long maxNs) {
        AdaptiveIdleStrategy s = new AdaptiveIdleStrategy(() -> now, 20, 50, minNs, maxNs);
        for (int i = 0; i < 70; i++) { // past the spins and yields: the next idle parks
            s.idle(0);
        }
        return s;
    }

    @Test
    void parksAnEighthOfTheTimeAlreadyIdleWithinItsBounds() {
        AdaptiveIdleStrategy s = idling(1_000, 1_000_000);
        assertThat(s.parkNs()).isEqualTo(1_000); // just started waiting: the shortest park
        now += 80_000;
        assertThat(s.parkNs()).isEqualTo(10_000);
        now += 800_000;
        assertThat(s.parkNs()).isEqualTo(110_000);
        now += 100_000_000;
        assertThat(s.parkNs()).isEqualTo(1_000_000); // a long wait: never beyond the maximum
    }

    @Test
    void workStartsTheNextWaitFromTheShortestParkAgain() {
        AdaptiveIdleStrategy s = idling(1_000, 1_000_000);
        now += 50_000_000;
        assertThat(s.parkNs()).isEqualTo(1_000_000);
        s.idle(3);
        for (int i = 0; i < 70; i++) {
            s.idle(0);
        }
        assertThat(s.parkNs()).isEqualTo(1_000);
    }

    @Test
    void withoutSpinsOrYieldsItParksFromTheFirstIdleOnAndStillGrows() {
        AdaptiveIdleStrategy s = new AdaptiveIdleStrategy(() -> now, 0, 0, 1_000, 1_000_000);
        s.idle(0); // parks 1 µs at once
        now += 8_000_000;
        assertThat(s.parkNs()).isEqualTo(1_000_000);
    }

    @Test
    void sleepTakesItsParkInMicroseconds() {
        assertThat(TransportNode.idleStrategy("sleep:1000").alias()).isEqualTo("sleep-ns");
        assertThat(TransportNode.idleStrategy("sleep:1000").toString()).contains("1000000");
        assertThatThrownBy(() -> TransportNode.idleStrategy("sleep:0")).hasMessageContaining("MICROS");
        assertThatThrownBy(() -> TransportNode.idleStrategy("sleep:x")).hasMessageContaining("MICROS");
    }

    @Test
    void badBoundsAreRefusedAndTheSettingNamesIt() {
        assertThatThrownBy(() -> new AdaptiveIdleStrategy(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdaptiveIdleStrategy(10, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThat(TransportNode.idleStrategy("adaptive")).isInstanceOf(AdaptiveIdleStrategy.class);
        assertThatThrownBy(() -> TransportNode.idleStrategy("lazy")).hasMessageContaining("adaptive");
    }
}
