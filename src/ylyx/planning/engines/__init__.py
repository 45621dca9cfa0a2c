"""Planning engines: plain Python (numpy, optionally scipy; HiGHS through highspy), no Django.

projection  cohort-component population projection (single years of age, two sexes)
gaps        demand norms applied to projected population, supply and gap per region and year
network     walking graph, multi-source nearest-facility distances, coverage within a threshold
access      2SFCA and enhanced 2SFCA over network distances
siting      MCLP and LSCP solved exactly with HiGHS (greedy warm start, reductions, proven gap)
"""
