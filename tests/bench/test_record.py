"""`bench.record.median`: per figure, the median round, taken whole."""

from __future__ import annotations

from bench.record import Target, median


def throughput(value: float, floor: float, cpu: float) -> Target:
    return Target("declare throughput", value, "req/s", floor, 0.5, at_least=True, cpu_ms=cpu)


def startup(seconds: float) -> Target:
    return Target("start-up", seconds, "s", 0.6, 1.5, relative=False)


def test_each_figure_is_its_median_rounds_whole():
    rounds = [
        [throughput(400, 2000, 2.1), startup(1.6)],  # ratio 0.20
        [throughput(500, 1000, 2.0), startup(1.2)],  # ratio 0.50, the fastest floor's drift
        [throughput(450, 1500, 2.2), startup(1.3)],  # ratio 0.30: the median
    ]
    chosen = {t.name: t for t in median(rounds)}
    assert chosen["declare throughput"] == rounds[2][0]  # value, floor and CPU of one round
    assert chosen["start-up"] == rounds[2][1]  # an absolute bound: by its value
    assert [t.name for t in median(rounds)] == ["declare throughput", "start-up"]


def test_the_lower_middle_of_an_even_count_and_a_figure_without_a_floor_last():
    rounds = [[throughput(300, 1000, 2.0)], [throughput(400, 1000, 2.0)]]
    assert median(rounds) == [rounds[0][0]]
    unmeasured = Target("declare throughput", 300, "req/s", None, 0.5, at_least=True)
    assert median([[unmeasured], [rounds[1][0]], [rounds[0][0]]]) == [rounds[1][0]]
    assert median([[throughput(1, 1, 1)]]) == [throughput(1, 1, 1)]
