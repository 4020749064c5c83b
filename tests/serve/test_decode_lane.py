"""The generator's decode lane: one decode at a time, the groups that wait for it merged into the
next one (whole groups, at most max_calls calls), every call answered with its own result."""

import asyncio
import threading
import time

import pytest

from serve.generator import DecodeLane


class SlowDecoder:
    """Stands in for generate_many: records each decode's calls, answers each call with
    (model, call), takes ``seconds`` per decode, and raises when a call is "boom"."""

    def __init__(self, seconds=0.05):
        self.seconds, self.decodes, self.running, self.overlap = seconds, [], 0, False
        self._lock = threading.Lock()

    def __call__(self, model, calls):
        with self._lock:
            self.running += 1
            self.overlap |= self.running > 1
        try:
            time.sleep(self.seconds)
            self.decodes.append(list(calls))
            if "boom" in calls:
                raise RuntimeError("decoder failed")
            return [(model, call) for call in calls]
        finally:
            with self._lock:
                self.running -= 1


async def busy_lane(max_calls, decoder, on_batch=lambda size: None):
    """A lane whose first decode (model "m", call "x") is already running."""
    lane = DecodeLane(max_calls, on_batch, run=decoder)
    head = lane.submit("m", ["x"])
    await asyncio.sleep(0.005)
    return lane, head


def test_groups_that_wait_are_merged_into_one_decode_and_each_call_gets_its_result():
    decoder, sizes = SlowDecoder(), []

    async def scenario():
        lane, first = await busy_lane(8, decoder, sizes.append)
        waiting = [lane.submit("m", [f"b{i}", f"c{i}"]) for i in range(3)]
        return await asyncio.gather(*first, *(f for group in waiting for f in group))

    results = asyncio.run(scenario())
    assert results == [("m", c) for c in ["x", "b0", "c0", "b1", "c1", "b2", "c2"]]
    assert decoder.decodes == [["x"], ["b0", "c0", "b1", "c1", "b2", "c2"]] and sizes == [1, 6]
    assert not decoder.overlap


def test_a_decode_takes_whole_groups_up_to_max_calls_and_one_model_at_a_time():
    decoder = SlowDecoder(0.02)

    async def scenario():
        lane, head = await busy_lane(4, decoder)
        groups = [
            lane.submit("m", ["a", "b", "c"]),
            lane.submit("m", ["d"]),
            lane.submit("n", ["e"]),
            lane.submit("m", ["f", "g", "h", "i", "j"]),
        ]  # bigger than max_calls: decoded on its own
        return await asyncio.gather(*head, *(f for g in groups for f in g))

    results = asyncio.run(scenario())
    assert [r[1] for r in results] == list("xabcdefghij")
    assert [r[0] for r in results] == ["m"] * 5 + ["n"] + ["m"] * 5
    assert decoder.decodes == [["x"], ["a", "b", "c", "d"], ["e"], ["f", "g", "h", "i", "j"]]


def test_a_failed_decode_fails_only_its_calls_and_cancelled_calls_are_skipped():
    decoder = SlowDecoder(0.03)

    async def scenario():
        lane, head = await busy_lane(8, decoder)
        doomed = lane.submit("m", ["boom", "y"])
        dropped = lane.submit("m", ["gone"])
        dropped[0].cancel()
        with pytest.raises(RuntimeError, match="decoder failed"):
            await doomed[0]
        with pytest.raises(RuntimeError, match="decoder failed"):
            await doomed[1]
        later = lane.submit("m", ["z"])  # the lane keeps working after a failure
        return await head[0], await later[0]

    assert asyncio.run(scenario()) == (("m", "x"), ("m", "z"))
    assert ["gone"] not in decoder.decodes and all("gone" not in d for d in decoder.decodes)
    assert decoder.decodes[1] == ["boom", "y"]
