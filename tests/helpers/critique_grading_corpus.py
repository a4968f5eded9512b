"""Reported flaws on tasks/critique_answers.jsonl, each labelled with the gold flaw a careful
reader says it identifies (0-based), or None. Written in the styles judges produce: terse
notes, markdown labels, "X, not Y", "the passage says", abbreviations, misquotes.

The None cases all mention numbers, names or words of a gold flaw without naming that flaw:
restating the answer, endorsing it, quoting the right number in the wrong place, inventing
what the answer says, or pointing at a different mistake with the same figures.
"""

from __future__ import annotations

CASES: list[tuple[str, int | None, str]] = [
    # ---- varna-glacier: 0 thinning 83 vs 38; 1 flow rises first --------------------------------
    ("varna-glacier", None, "Thinned by 38 metres since 1990, but the passage says 38 metres since 1958."),
    ("varna-glacier", None, "The answer says the glacier thinned by 83 metres, which matches the passage."),
    ("varna-glacier", None, "The thinning of 38 metres is reported correctly; the problem is the retreat figure."),
    ("varna-glacier", None, "It says the river's summer flow will fall; the ice has thinned by 83 metres, so that part holds."),
    ("varna-glacier", None, "The tongue retreated 400 metres between 1958 and 1990, not 1.5 kilometres since 1958."),
    ("varna-glacier", None, "The glacier is 38 kilometres long, and the answer forgets to say so."),
    ("varna-glacier", None, "The answer says the ice thinned by 38 metres since 1990, but it has been measured since 1958."),
    ("varna-glacier", 0, "The passage says the ice thinned by 38 metres, not 83."),
    ("varna-glacier", 0, "Thinning is given as 83 m, but the text says 38 m."),
    ("varna-glacier", 0, "Wrong figure for the thinning: the passage reports 38 metres since the first survey."),
    ("varna-glacier", 0, "83 metres of thinning should be 38 metres."),
    ("varna-glacier", 0, "**Numbers swapped:** the centre has thinned by 38 m (the answer gives 83 m)."),
    ("varna-glacier", 0, "Vague answer. The passage says the ice thinned by 38 metres."),
    ("varna-glacier", 1, "The passage expects summer flow to rise for some decades before it falls, not to fall steadily "
                         "from now on."),
    ("varna-glacier", 1, "It claims the river's flow will fall steadily; the researchers expect it to rise first as the "
                         "ice melts faster."),
    # ---- harrow-lighthouse: 0 1912 vs 1902; 1 automated 1961 after retiring 1938 -----------------
    ("harrow-lighthouse", 0, "The keeper started in 1902, not 1912."),
    ("harrow-lighthouse", 0, "Agnes Morrow became keeper in 1902; the answer's 1912 is off by ten years."),
    ("harrow-lighthouse", 0, "Wrong start year: Morrow became keeper in 1902, not 1912."),
    ("harrow-lighthouse", 1, "Automation came in 1961, after she retired."),
    ("harrow-lighthouse", 1, "She retired in 1938 and the light was only automated in 1961, so she did not oversee it."),
    ("harrow-lighthouse", None, "Agnes Morrow became keeper in 1912, as the answer correctly says."),
    ("harrow-lighthouse", None, "Morrow became keeper in 1912 after her husband drowned, which the passage confirms."),
    ("harrow-lighthouse", None, "The answer says she retired in 1938, but she retired in 1961."),
    ("harrow-lighthouse", None, "The kerosene lamp was replaced in 1902, not 1912."),
    ("harrow-lighthouse", None, "The lighthouse was built in 1871, and the answer never says when Morrow became keeper."),
    # ---- quarry-street-lanes: 0 unanimous vs 7-2; 1 delay refused -------------------------------
    ("quarry-street-lanes", 0, "The vote was seven to two, not unanimous."),
    ("quarry-street-lanes", 0, "Not unanimous: two councillors voted against (seven to two)."),
    ("quarry-street-lanes", 1, "The council refused to delay construction; it added loading zones and promised a review of "
                               "shop revenue after a year instead."),
    ("quarry-street-lanes", None, "The council voted unanimously to build the lanes, as the passage says."),
    ("quarry-street-lanes", None, "The council agreed to delay construction by a year because of the shop owners."),
    ("quarry-street-lanes", None, "The answer says 120 parking spaces go, but the council voted seven to two for 310."),
    # ---- octopus-skin: 0 hormones/minutes vs nerves/fraction of a second; 1 hypothesis ----------
    ("octopus-skin", 0, "Chromatophores are controlled directly by nerves, so colour changes take a fraction of a second, "
                        "not minutes."),
    ("octopus-skin", 0, "- Control is by nerves from the brain, not hormones; changes are nearly instant."),
    ("octopus-skin", 1, "The passage only calls the light-sensitive skin proteins one hypothesis, still debated, not "
                        "something shown."),
    ("octopus-skin", None, "Chromatophores are pigment sacs controlled by hormones, so a change takes several minutes."),
    ("octopus-skin", None, "Scientists have shown that light-sensitive proteins in the skin let octopuses see colour."),
    # ---- elsmere-cooperative: 0 profits by hours; 1 one vote; 2 omits 1867 fire ------------------
    ("elsmere-cooperative", 0, "Profits were shared according to hours worked, not money invested."),
    ("elsmere-cooperative", 1, "Each member had one vote, however much they had invested."),
    ("elsmere-cooperative", 2, "It leaves out the 1867 fire and the press the cooperative had to borrow."),
    ("elsmere-cooperative", None, "Members shared profits in proportion to the money they invested, as the passage says."),
    ("elsmere-cooperative", None, "The cooperative was founded in 1867, not 1848."),
    ("elsmere-cooperative", None, "Members had votes according to their investment, which is accurate."),
    # ---- school-start-sleep ---------------------------------------------------------------------
    ("school-start-sleep", 0, "They slept longer because they woke later; bedtimes barely changed."),
    ("school-start-sleep", 1, "The study found no clear change in test scores over the term."),
    ("school-start-sleep", 2, "The researchers say the comparison cannot rule out other causes, so it proves nothing."),
    ("school-start-sleep", None, "Students slept 34 minutes more because they went to bed earlier, which the passage confirms."),
    ("school-start-sleep", None, "The answer says test scores improved noticeably during the term, and they did."),
    ("school-start-sleep", None, "The study followed 210 students, but the answer says it followed 34 students."),
    # ---- heat-pump ------------------------------------------------------------------------------
    ("heat-pump", 0, "A heat pump does not burn fuel: it moves heat, and the electricity only runs the compressor and fans."),
    ("heat-pump", 1, "In cold weather the efficiency drops, to about two units of heat per unit of electricity."),
    ("heat-pump", None, "It burns fuel very cleanly and delivers three to four units of heat, as the answer correctly states."),
    ("heat-pump", None, "Efficiency rises in very cold weather because the compressor works harder, which is right."),
    # ---- linden-garden: 0 46 vs 64 plots ----------------------------------------------------------
    ("linden-garden", 0, "There were 64 plots by 2023, not 46."),
    ("linden-garden", 0, "Plot count is wrong (46 given, passage says 64)."),
    ("linden-garden", 2, "It does not mention that the city has not agreed to a longer lease, which ends in 2026."),
    ("linden-garden", None, "The garden opened with 46 plots in 2019, but the passage says 30 plots in 2023."),
    ("linden-garden", None, "The waiting list has 64 households, not 40."),
    ("linden-garden", None, "The garden has grown to 46 plots, which matches the passage."),
    # ---- surtla-island ----------------------------------------------------------------------------
    ("surtla-island", 0, "The first flowering plant was found in 1965, while the eruption was still going on."),
    ("surtla-island", 1, "The island is closed to visitors; seeds came by wind, waves and birds, not tourists."),
    ("surtla-island", None, "The eruption ended in 1967, and 69 plant species were recorded by 2008, as the answer states "
                            "accurately."),
    ("surtla-island", None, "Seabirds began nesting in 1965, not 1970."),
    # ---- marlow-library-fines: 0 fell slightly 94 to 92 -------------------------------------------
    ("marlow-library-fines", 0, "Returns fell only slightly, from 94 to 92 percent, not sharply."),
    ("marlow-library-fines", 1, "Borrowers who keep a book over two months are billed for its replacement cost."),
    ("marlow-library-fines", None, "Children's borrowing rose by 92 percent, not 12 percent."),
    ("marlow-library-fines", None, "The answer says 1,900 accounts were reopened, but the passage says 94 accounts."),
    # ---- european-eel -----------------------------------------------------------------------------
    ("european-eel", 0, "No one has yet watched European eels spawning in the wild."),
    ("european-eel", None, "Scientists have filmed European eels spawning many times in the Sargasso Sea, which is correctly "
                           "described."),
]

HELD_OUT: list[tuple[str, int | None, str]] = [
    # Written after the rules were set, in other styles, and never used to tune them.
    ("varna-glacier", 0, "Factual error - thickness loss: answer = 83 m, source = 38 m."),
    ("varna-glacier", 0, "The ice near the centre has thinned by 38 metres since the first survey; 83 is wrong."),
    ("varna-glacier", None, "The answer claims 38 metres of thinning since 1958, which the passage supports."),
    ("varna-glacier", None, "Retreat of 1.5 km is inaccurate: the passage says 1.1 kilometres between 1990 and 2020, "
                            "plus 38 metres of thinning."),
    ("varna-glacier", 1, "Summer flow is expected to rise for decades first, then fall."),
    ("harrow-lighthouse", 0, "Incorrect date: Morrow took over as keeper in 1902 (answer says 1912)."),
    ("harrow-lighthouse", None, "The answer gives 1902 as her start year, but the passage says 1912."),
    ("harrow-lighthouse", None, "She kept the light for 36 years from 1912, so the answer is consistent with the passage."),
    ("harrow-lighthouse", 1, "Morrow did not oversee automation: she retired in 1938 and automation happened in 1961."),
    ("sourdough-starter", 0, "It swaps the roles: yeasts make most of the carbon dioxide, bacteria make the acids."),
    ("sourdough-starter", 1, "The ratio is reversed - bacteria outnumber yeasts about a hundred to one."),
    ("sourdough-starter", None, "The yeasts outnumber the bacteria about a hundred to one, which is accurate."),
    ("sourdough-starter", None, "The bacteria produce most of the carbon dioxide, as the answer correctly explains."),
    ("quarry-street-lanes", 0, "It was a 7-2 vote with two councillors against, so 'unanimously' is wrong."),
    ("quarry-street-lanes", None, "The answer says 120 spaces are removed, but the passage says 310 are removed."),
    ("quarry-street-lanes", 1, "The council did not agree to a delay; it refused and added loading zones instead."),
    ("octopus-skin", None, "Papillae change skin texture; the answer correctly says octopuses can raise them."),
    ("octopus-skin", 0, "Colour change is controlled by nerves and happens in a fraction of a second, not minutes via "
                        "hormones."),
    ("elsmere-cooperative", 0, "Profit shares followed hours worked rather than money invested."),
    ("elsmere-cooperative", None, "The Gazette started in 1867, not 1851."),
    ("elsmere-cooperative", 2, "Missing: the 1867 fire that destroyed the press, and the borrowed press."),
    ("school-start-sleep", None, "Students slept 34 minutes more, and the answer gets this figure right."),
    ("school-start-sleep", 1, "Test scores showed no clear change; the answer says they improved noticeably."),
    ("heat-pump", 1, "Efficiency falls, not rises, in very cold weather: around two units of heat per unit."),
    ("heat-pump", None, "A heat pump delivers three to four units of heat per unit of electricity, as stated."),
    ("linden-garden", 0, "By 2023 the garden had 64 plots; the answer's 46 is wrong."),
    ("linden-garden", None, "The answer says 30 plots in 2019, but the passage says 46 plots in 2019."),
    ("linden-garden", 1, "Most joined to grow cheaper vegetables; meeting neighbours came to matter only later."),
    ("surtla-island", 1, "Tourists did not carry seeds: visitors are kept off the island."),
    ("surtla-island", None, "By 2008 there were 69 species recorded, as the answer accurately says."),
    ("marlow-library-fines", 0, "The share returned within a month fell only from 94% to 92%, a slight drop."),
    ("marlow-library-fines", None, "Borrowing by children rose by 12 percent, which matches the passage."),
    ("european-eel", 0, "No one has filmed them spawning; the passage says spawning has never been watched in the wild."),
    ("european-eel", None, "Eels live in rivers for ten to twenty years, and the answer says so correctly."),
]

SECOND_HELD_OUT: list[tuple[str, int | None, str]] = [
    # A second set, written after the first held-out set was scored; reported, not tuned on.
    ("varna-glacier", 0, "It overstates the thinning (83 m vs 38 m in the text)."),
    ("varna-glacier", None, "The answer is right that the ice thinned by 38 metres, but 1.5 km of retreat is too much."),
    ("varna-glacier", None, "Says the glacier has been measured since 1990; the passage says 38 metres since 1958."),
    ("harrow-lighthouse", 0, "1912 -> 1902 (year she became keeper)."),
    ("harrow-lighthouse", None, "She became keeper in 1912 and retired in 1938, both correctly given."),
    ("harrow-lighthouse", 1, "The automation was in 1961, 23 years after she retired, so she could not oversee it."),
    ("quarry-street-lanes", 0, "Two councillors voted against, so it was not unanimous."),
    ("quarry-street-lanes", None, "The council voted seven to two on building the lanes, as the answer says."),
    ("octopus-skin", 1, "Calls the skin-protein idea proven, but the passage says it is a hypothesis still being debated."),
    ("octopus-skin", None, "The answer says chromatophores are controlled by hormones and the passage agrees with that."),
    ("elsmere-cooperative", 1, "Votes did not depend on investment: one member, one vote."),
    ("elsmere-cooperative", None, "The cooperative employed forty people by 1867, not 1860."),
    ("school-start-sleep", 0, "The extra sleep came from waking later, not from going to bed earlier."),
    ("school-start-sleep", None, "The extra 34 minutes of sleep came from going to bed earlier, exactly as stated."),
    ("heat-pump", 0, "Heat pumps move heat rather than burning fuel."),
    ("linden-garden", 0, "64 plots by 2023 (answer: 46)."),
    ("linden-garden", None, "The garden had 46 plots in 2023 and a waiting list of 64 households."),
    ("marlow-library-fines", 0, "The return rate dropped only two points (94% to 92%), which is not a sharp fall."),
    ("marlow-library-fines", None, "Blocked accounts reopened: 1,900, not 94."),
    ("surtla-island", 0, "Plants arrived before the eruption ended: the first flowering plant was found in 1965."),
]
