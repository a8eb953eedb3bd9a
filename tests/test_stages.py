import time

import pytest

from llmpredgraph.stages import Stages


def test_stages_sum_each_named_block_and_count_a_failing_one():
    st = Stages()
    for _ in range(2):
        with st("a"):
            time.sleep(0.01)
    with pytest.raises(ValueError), st("b"):
        raise ValueError("stopped")
    got = st.as_dict()
    assert set(got) == {"a", "b"} and 0.02 <= got["a"] < 0.5 and 0 <= got["b"] < got["a"]
