"""What a notebook shows: the HTML summary of a system and of describe's table."""

from abstractions import (
    TransitionSystem,
    describe,
    minimal_complete_abstraction,
    output_abstraction,
)

T = TransitionSystem.nondeterministic(
    [[1, 2], [3], [3], []],
    labels=[["coin", "coin"], ["coffee"], ["coffee"], []],
    output=["idle", "paid", "paid", "served"],
    state_labels=["idle", "paid", "paid again", "served"],
)
html = T._repr_html_()  # Jupyter calls this to show T
summary, _, picture = html.partition("<?xml")  # a small system: its picture follows, as SVG
print(summary)
print("... and a picture of the state graph, inline SVG" if "<svg" in picture else "(no picture)")
P = minimal_complete_abstraction(T, output_abstraction(T))
print(describe(T, P, as_frame=False)._repr_html_())  # a DataFrame's own view with pandas
