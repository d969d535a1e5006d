package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private static final LayerCostTable VGG = TestTables.vgg16();

    @Test
    void oneDeviceGetsEveryRowAndIsFeasibleOnlyAboveItsOwnLatency() {
        CostModel m = new CostModel(VGG, TestTables.cluster("rpi4b"));
        Planner p = new Planner(m);
        double local = m.predict(new int[] {224}).latencySeconds();
        PlanResult ok = p.plan(Planner.Objective.ENERGY, local * 1.01);
        assertThat(ok.rows()).containsExactly(224);
        assertThat(ok.feasible()).isTrue();
        PlanResult late = p.plan(Planner.Objective.ENERGY, local * 0.99);
        assertThat(late.rows()).containsExactly(224);
        assertThat(late.feasible()).isFalse();
        assertThat(late.note()).contains("cannot be met");
    }

    @Test
    void identicalDevicesOnFastLinksGetEqualRows() {
        List<DeviceProfile> ds = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ds.add(DeviceProfiles.preset("rpi4b").withName("pi" + i).withLink(new LinkProfile(1e12, 0)));
        }
        Planner p = new Planner(new CostModel(VGG, new DeviceProfiles.Cluster(ds, null)));
        int[] rows = p.plan(Planner.Objective.LATENCY, 10).rows();
        assertThat(Arrays.stream(rows).max().getAsInt() - Arrays.stream(rows).min().getAsInt())
                .as(Arrays.toString(rows)).isLessThanOrEqualTo(1);
    }

    @Test
    void aFarSlowerDeviceGetsNoRows() {
        List<DeviceProfile> ds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ds.add(DeviceProfiles.preset("rpi4b").withName("pi" + i));
        }
        ds.add(DeviceProfiles.preset("rpi4b").withName("slow").scaleRates(0.01));
        Planner p = new Planner(new CostModel(VGG, new DeviceProfiles.Cluster(ds, null)));
        PlanResult lat = p.plan(Planner.Objective.LATENCY, 100);
        assertThat(lat.rows()[3]).isZero();
        PlanResult energy = p.plan(Planner.Objective.ENERGY, lat.latencySeconds() * 1.2);
        assertThat(energy.feasible()).isTrue();
        assertThat(energy.rows()[3]).isZero();
    }

    @Test
    void aDeadlineExactlyAtTheMinimumLatencyIsMet() {
        Planner p = new Planner(new CostModel(VGG, TestTables.cluster("rpi4b", "jetson-nano", "rpi3b+", "jetson-tx2")));
        PlanResult fastest = p.latencyMinimal(Double.POSITIVE_INFINITY);
        PlanResult energy = p.plan(Planner.Objective.ENERGY, fastest.latencySeconds());
        assertThat(energy.feasible()).isTrue();
        assertThat(energy.latencySeconds()).isLessThanOrEqualTo(fastest.latencySeconds() * (1 + 1e-9));
        assertThat(energy.energyJoules()).isLessThanOrEqualTo(fastest.energyJoules());
    }

    @Test
    void anImpossibleDeadlineReturnsTheLatencyMinimalPlanMarkedInfeasible() {
        Planner p = new Planner(new CostModel(VGG, TestTables.cluster("rpi4b", "jetson-nano", "rpi3b+")));
        PlanResult fastest = p.latencyMinimal(Double.POSITIVE_INFINITY);
        PlanResult r = p.plan(Planner.Objective.ENERGY, fastest.latencySeconds() / 2);
        assertThat(r.feasible()).isFalse();
        assertThat(r.rows()).containsExactly(fastest.rows());
        assertThat(r.latencySeconds()).isEqualTo(fastest.latencySeconds());
        assertThat(r.note()).contains("cannot be met").contains("minimum predicted latency");
    }

    @Test
    void energyPlanCostsNoMoreThanAnyFeasibleBaselineAtTheSameDeadline() {
        CostModel m = new CostModel(VGG, TestTables.cluster("rpi4b", "jetson-nano", "rpi3b+", "jetson-tx2"));
        double deadline = 1.3 * new Planner(m).latencyMinimal(Double.POSITIVE_INFINITY).latencySeconds();
        List<PlanResult> all = Baselines.all(m, deadline, Planner.Objective.ENERGY);
        assertThat(all).extracting(PlanResult::strategy).containsExactlyElementsOf(Baselines.NAMES);
        PlanResult coedge = all.get(0);
        assertThat(coedge.feasible()).isTrue();
        for (PlanResult b : all) {
            assertThat(Arrays.stream(b.rows()).sum()).isEqualTo(224);
            if (b.feasible()) {
                assertThat(coedge.energyJoules()).as(b.strategy()).isLessThanOrEqualTo(b.energyJoules() * (1 + 1e-9));
            }
        }
    }

    @Test
    void strategiesByNameMatchTheReport() {
        CostModel m = new CostModel(VGG, TestTables.cluster("rpi4b", "jetson-nano", "jetson-tx2"));
        List<PlanResult> all = Baselines.all(m, 3.0, Planner.Objective.ENERGY);
        for (PlanResult r : all) {
            assertThat(Baselines.byName(r.strategy(), m, 3.0, Planner.Objective.ENERGY).rows()).as(r.strategy())
                    .containsExactly(r.rows());
        }
        assertThatThrownBy(() -> Baselines.byName("fastest", m, 3.0, Planner.Objective.ENERGY))
                .hasMessageContaining("unknown strategy 'fastest'").hasMessageContaining("proportional");
    }

    @Test
    void memoryBudgetsKeepRowsOffASmallDevice() {
        List<DeviceProfile> ds = new ArrayList<>();
        ds.add(DeviceProfiles.preset("jetson-tx2").withName("big"));
        DeviceProfile small = DeviceProfiles.preset("jetson-tx2");
        // enough for nothing but less than the conv weights: it must sit out
        ds.add(new DeviceProfile("small", "", small.rates(), VGG.spatialWeightBytes() / 2, small.idleWatts(),
                small.computeWatts(), small.transmitWatts(), small.link(), java.util.Map.of()));
        Planner p = new Planner(new CostModel(VGG, new DeviceProfiles.Cluster(ds, null)));
        PlanResult r = p.plan(Planner.Objective.LATENCY, 100);
        assertThat(r.rows()).containsExactly(224, 0);
        assertThat(r.prediction().memoryOk()).isTrue();
    }

    @Test
    void aNonPositiveDeadlineIsRefused() {
        Planner p = new Planner(new CostModel(VGG, TestTables.cluster("rpi4b")));
        assertThatThrownBy(() -> p.plan(Planner.Objective.ENERGY, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deadline");
    }

    @Test
    void exactMilpAgreesWithTheFastPathOnARealNetworkShape() {
        Planner p = new Planner(new CostModel(VGG, TestTables.cluster("rpi4b", "jetson-nano", "rpi3b+")));
        double deadline = 1.2 * p.latencyMinimal(Double.POSITIVE_INFINITY).latencySeconds();
        PlanResult fast = p.plan(Planner.Objective.ENERGY, deadline);
        PlanResult milp = p.exact(Planner.Objective.ENERGY, deadline);
        assertThat(milp.feasible()).isTrue();
        assertThat(fast.energyJoules()).isLessThanOrEqualTo(milp.energyJoules() * 1.03);
    }
}
