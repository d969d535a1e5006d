package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplannerTest {
    private static final LayerCostTable VGG = TestTables.vgg16();

    /** Counters of a simulated cluster: each present device reports its true rate times a jitter. */
    static final class Simulated implements LiveCounters {
        final Map<String, DeviceProfile> profiles = new LinkedHashMap<>();
        final Map<String, Double> trueScale = new LinkedHashMap<>();
        final Random rnd = new Random(42);
        double jitter;
        Replanner replanner;

        void add(DeviceProfile d) {
            profiles.put(d.name(), d);
            trueScale.put(d.name(), 1.0);
        }

        @Override
        public List<Sample> read() {
            List<Sample> out = new ArrayList<>();
            for (var e : trueScale.entrySet()) {
                String name = e.getKey();
                boolean hasRows = replanner == null || replanner.current().rowsOf(name) > 0;
                if (!hasRows) {
                    out.add(Sample.unmeasured(name));
                    continue;
                }
                double noise = 1 + jitter * (2 * rnd.nextDouble() - 1);
                double rate = replanner == null ? Double.NaN
                        : replanner.effectiveRate(profiles.get(name)) * e.getValue() * noise;
                out.add(new Sample(name, rate, Double.NaN));
            }
            return out;
        }
    }

    private static Simulated cluster() {
        Simulated s = new Simulated();
        s.add(DeviceProfiles.preset("rpi4b").withName("a"));
        s.add(DeviceProfiles.preset("jetson-nano").withName("b"));
        s.add(DeviceProfiles.preset("rpi4b").withName("c"));
        s.add(DeviceProfiles.preset("jetson-tx2").withName("d"));
        return s;
    }

    private static Replanner start(Simulated s, Replanner.Config config) {
        Replanner r = new Replanner(VGG, s.profiles, "a", s, config);
        s.replanner = r;
        return r;
    }

    @Test
    void rowsMoveAwayFromADeviceWhoseRateHalvesWithinTheHysteresisWindow() {
        Simulated s = cluster();
        Replanner r = start(s, Replanner.Config.defaults(Planner.Objective.LATENCY, 100));
        for (int i = 0; i < 5; i++) {
            r.beginInference();
            assertThat(r.tick()).isFalse();
        }
        int before = r.current().rowsOf("d");
        assertThat(before).isPositive();
        s.trueScale.put("d", 0.5);
        int switchedAt = -1;
        for (int t = 1; t <= 10 && switchedAt < 0; t++) {
            r.beginInference();
            if (r.tick()) {
                switchedAt = t;
            }
        }
        assertThat(switchedAt).as("ticks until re-plan").isBetween(3, 10);
        assertThat(r.latest().rowsOf("d")).isLessThan(before);
        assertThat(r.latest().version()).isEqualTo(2);
        assertThat(r.rateEstimate("d")).isLessThan(0.75);
    }

    @Test
    void jitterOfTenPercentDoesNotFlapPlans() {
        for (Planner.Objective objective : Planner.Objective.values()) {
            Simulated s = cluster();
            s.jitter = 0.10;
            double deadline = 1.3 * new Planner(new CostModel(VGG, new DeviceProfiles.Cluster(
                    new ArrayList<>(s.profiles.values()), "a"))).latencyMinimal(Double.POSITIVE_INFINITY).latencySeconds();
            Replanner r = start(s, Replanner.Config.defaults(objective, deadline));
            for (int i = 0; i < 200; i++) {
                r.beginInference();
                r.tick();
            }
            assertThat(r.latest().version()).as(objective + ": plans published under jitter").isEqualTo(1);
        }
    }

    @Test
    void aDeviceLeavingOrJoiningTriggersAReplan() {
        Simulated s = cluster();
        Replanner r = start(s, Replanner.Config.defaults(Planner.Objective.LATENCY, 100));
        r.beginInference();
        assertThat(r.current().devices()).containsExactly("a", "b", "c", "d");
        s.trueScale.remove("d");
        assertThat(r.tick()).isTrue();
        assertThat(r.latest().devices()).containsExactly("a", "b", "c");
        assertThat(r.latest().reason()).contains("membership");
        s.trueScale.put("d", 1.0);
        assertThat(r.tick()).isTrue();
        assertThat(r.latest().devices()).contains("d");
        assertThat(r.latest().rowsOf("d")).isPositive();
        assertThat(r.latest().version()).isEqualTo(3);
    }

    @Test
    void aNewPlanTakesEffectOnlyAtTheNextInference() {
        Simulated s = cluster();
        Replanner r = start(s, Replanner.Config.defaults(Planner.Objective.LATENCY, 100));
        Replanner.PlanVersion running = r.beginInference();
        s.trueScale.remove("c");
        assertThat(r.tick()).isTrue();
        assertThat(r.current()).isSameAs(running);
        assertThat(r.latest().version()).isEqualTo(running.version() + 1);
        assertThat(r.beginInference().version()).isEqualTo(running.version() + 1);
        assertThat(r.current().devices()).doesNotContain("c");
    }

    /** Ticks once per inference until the plan gives {@code device} no rows, and puts that plan in effect. */
    private static void tickUntilDropped(Replanner r, String device, int limit) {
        for (int t = 1; t <= limit; t++) {
            r.beginInference();
            r.tick();
            if (r.latest().rowsOf(device) == 0) {
                r.beginInference();
                return;
            }
        }
        throw new AssertionError(device + " still has rows after " + limit + " ticks");
    }

    @Test
    void aDeviceDroppedWhileSlowGetsRowsAgainOnceItIsFastAgain() {
        Simulated s = cluster();
        Replanner r = start(s, Replanner.Config.defaults(Planner.Objective.LATENCY, 100));
        r.beginInference();
        int before = r.current().rowsOf("d");
        assertThat(before).isPositive();
        s.trueScale.put("d", 0.02); // busy with something else
        tickUntilDropped(r, "d", 30);
        double dropped = r.rateEstimate("d");
        assertThat(dropped).isLessThan(0.2);
        s.trueScale.put("d", 1.0); // free again, but unmeasured while it has no rows
        int back = -1;
        for (int t = 1; t <= 500 && back < 0; t++) {
            r.beginInference();
            r.tick();
            if (r.latest().rowsOf("d") > 0) {
                back = t;
            }
        }
        assertThat(back).as("ticks until d has rows again").isPositive();
        assertThat(r.latest().reason()).contains("predicted gain");
        // measured anew at its real rate, it gets its share back
        for (int t = 0; t < 30; t++) {
            r.beginInference();
            r.tick();
        }
        assertThat(r.rateEstimate("d")).isGreaterThan(0.9);
        // within the hysteresis of its old share
        assertThat(r.current().rowsOf("d")).isGreaterThanOrEqualTo((int) (before * 0.85));
    }

    @Test
    void aDeviceThatStaysSlowIsRarelyTriedAgain() {
        Simulated s = cluster();
        Replanner r = start(s, Replanner.Config.defaults(Planner.Objective.LATENCY, 100));
        r.beginInference();
        s.trueScale.put("d", 0.02);
        tickUntilDropped(r, "d", 30);
        int withRows = 0;
        int ticks = 2000;
        for (int t = 0; t < ticks; t++) {
            if (r.beginInference().rowsOf("d") > 0) {
                withRows++;
            }
            r.tick();
        }
        assertThat(withRows).as("inferences in which the slow device had rows").isPositive().isLessThan(ticks / 20);
    }

    /**
     * A device slow enough to be dropped but not below half the guess it is retried at: each retry must still
     * lengthen the next wait, or the plan flips back and forth at the base half-life for ever.
     */
    @Test
    void aModeratelySlowDeviceDoesNotFlipPlansForEver() {
        Simulated s = new Simulated();
        for (String name : List.of("a", "b", "c", "d")) {
            s.add(DeviceProfiles.preset("rpi4b").withName(name));
        }
        Replanner r = start(s, new Replanner.Config(Planner.Objective.LATENCY, 100, 0.3, 0.02, 3, 50));
        r.beginInference();
        s.trueScale.put("d", 0.12);
        for (int t = 0; t < 900; t++) {
            r.beginInference();
            r.tick();
        }
        assertThat(r.latest().version()).as("plans published in 900 inferences").isLessThan(30);
    }

    @Test
    void withoutRecoveryAnUnmeasuredDeviceKeepsItsEstimate() {
        Simulated s = cluster();
        Replanner r = start(s, new Replanner.Config(Planner.Objective.LATENCY, 100, 0.3, 0.10, 3, 0));
        r.beginInference();
        s.trueScale.put("d", 0.02);
        tickUntilDropped(r, "d", 30);
        double dropped = r.rateEstimate("d");
        s.trueScale.put("d", 1.0);
        for (int t = 0; t < 500; t++) {
            r.beginInference();
            r.tick();
        }
        assertThat(r.latest().rowsOf("d")).isZero();
        assertThat(r.rateEstimate("d")).isEqualTo(dropped);
    }

    @Test
    void aNegativeRecoveryHalfLifeIsRefused() {
        assertThatThrownBy(() -> new Replanner.Config(Planner.Objective.LATENCY, 1, 0.3, 0.1, 3, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recoveryHalfLifeTicks");
    }
}
