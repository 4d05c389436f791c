"""Common English given-name nicknames mapped to one canonical form per group.

Owns the data only. Matching treats a shared canonical form as a "nickname" agreement,
which the model weighs separately from an exact agreement.
"""

from __future__ import annotations

_GROUPS: tuple[tuple[str, ...], ...] = (
    ("john", "jon", "jonathan", "jonny", "johnny", "jack", "jonathon"),
    ("william", "will", "bill", "billy", "willy", "liam"),
    ("robert", "rob", "bob", "bobby", "robbie", "bert"),
    ("richard", "rich", "rick", "ricky", "dick", "richie"),
    ("james", "jim", "jimmy", "jamie", "jimbo"),
    ("michael", "mike", "mick", "micky", "mikey"),
    ("thomas", "tom", "tommy"),
    ("christopher", "chris", "kit", "topher"),
    ("daniel", "dan", "danny"),
    ("matthew", "matt", "matty"),
    ("anthony", "tony", "ant"),
    ("joseph", "joe", "joey"),
    ("david", "dave", "davy", "davey"),
    ("andrew", "andy", "drew"),
    ("edward", "ed", "eddie", "ted", "teddy", "ned"),
    ("benjamin", "ben", "benny", "benji"),
    ("samuel", "sam", "sammy"),
    ("alexander", "alex", "alec", "sandy", "xander"),
    ("nicholas", "nick", "nicky", "nico"),
    ("stephen", "steve", "steven", "stevie"),
    ("timothy", "tim", "timmy"),
    ("patrick", "pat", "paddy"),
    ("peter", "pete"),
    ("charles", "charlie", "chuck", "chas"),
    ("henry", "harry", "hank", "hal"),
    ("frederick", "fred", "freddie", "freddy"),
    ("gregory", "greg"),
    ("kenneth", "ken", "kenny"),
    ("lawrence", "larry", "laurie"),
    ("ronald", "ron", "ronnie"),
    ("donald", "don", "donnie"),
    ("raymond", "ray"),
    ("gerald", "gerry", "jerry"),
    ("philip", "phil", "phillip"),
    ("jacob", "jake"),
    ("joshua", "josh"),
    ("zachary", "zach", "zack"),
    ("nathan", "nate", "nathaniel"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby", "bess", "elisabeth"),
    ("margaret", "maggie", "meg", "peggy", "marge", "madge"),
    ("katherine", "kate", "katie", "kathy", "kat", "catherine", "cathy", "kathryn", "kath"),
    ("jennifer", "jen", "jenny", "jenn"),
    ("jessica", "jess", "jessie"),
    ("rebecca", "becky", "becca", "bex"),
    ("deborah", "debbie", "deb", "debra"),
    ("susan", "sue", "susie", "suzanne"),
    ("patricia", "pat", "patty", "trish", "tricia"),
    ("victoria", "vicky", "tori", "vic"),
    ("alexandra", "alex", "lexi", "sandra"),
    ("samantha", "sam", "sammie"),
    ("christine", "chris", "chrissy", "christina", "tina"),
    ("jacqueline", "jackie", "jacqui"),
    ("abigail", "abby", "abbie", "gail"),
    ("amanda", "mandy", "manda"),
    ("barbara", "barb", "babs"),
    ("dorothy", "dot", "dottie", "dolly"),
    ("eleanor", "ellie", "nell", "nora", "elle"),
    ("emily", "em", "emmy", "millie"),
    ("frances", "fran", "frankie"),
    ("francis", "frank", "francesco"),
    ("helen", "nell", "ellen"),
    ("joanne", "jo", "joanna", "joann"),
    ("judith", "judy", "jude"),
    ("kimberly", "kim", "kimberley"),
    ("lucy", "lou", "lucinda"),
    ("louise", "lou", "lulu", "louisa"),
    ("mary", "molly", "polly", "mae", "marie", "maria"),
    ("pamela", "pam"),
    ("sarah", "sara", "sally", "sadie"),
    ("teresa", "terri", "tess", "tessa", "theresa"),
    ("valerie", "val"),
    ("gabriel", "gabe", "gabriella", "gabby"),
)


def _build() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for group in _GROUPS:
        for name in group:
            mapping.setdefault(name, group[0])
    return mapping


NICKNAMES: dict[str, str] = _build()


def canonical_given_name(name: str) -> str:
    """The canonical form of a folded given name (itself when not a known nickname)."""
    return NICKNAMES.get(name, name)
