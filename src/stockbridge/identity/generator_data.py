"""Vocabulary for the synthetic customer generator: names, streets, towns, e-mail hosts.

Owns data only. Lists are ordered roughly by real-world frequency; the generator draws
from them with a Zipf-like skew so that common names collide as they do in real shops.
"""

from __future__ import annotations

# fmt: off

FIRST_NAMES: tuple[str, ...] = (
    "John", "David", "Michael", "James", "Robert", "William", "Richard", "Thomas", "Christopher",
    "Daniel", "Matthew", "Mark", "Paul", "Andrew", "Steven", "Peter", "Anthony", "Joseph", "Kevin",
    "Brian", "Gary", "Edward", "Stephen", "Benjamin", "Samuel", "Alexander", "Nicholas", "Timothy",
    "Patrick", "Charles", "Henry", "Frederick", "Gregory", "Kenneth", "Ronald", "Jacob", "Joshua",
    "Nathan", "Oliver", "George", "Harry", "Jack", "Liam", "Noah", "Ethan", "Lucas", "Mohammed", "Adam",
    "Ryan", "Luke", "Simon", "Ian", "Graham", "Neil", "Stuart", "Craig", "Dean", "Lee", "José",
    "Zoltán", "Søren", "Mary", "Sarah", "Elizabeth", "Jennifer", "Jessica", "Emma", "Margaret",
    "Katherine", "Rebecca", "Susan", "Patricia", "Victoria", "Samantha", "Christine", "Laura", "Rachel",
    "Hannah", "Amy", "Emily", "Lucy", "Sophie", "Charlotte", "Olivia", "Amelia", "Isla", "Ava", "Grace",
    "Chloé", "Zoë", "Renée", "Helen", "Joanne", "Deborah", "Amanda", "Nicola", "Claire", "Louise",
    "Karen", "Julie", "Lisa", "Michelle", "Angela", "Kimberly", "Abigail", "Barbara", "Dorothy",
    "Eleanor", "Frances", "Judith", "Pamela", "Teresa", "Valerie", "Jacqueline", "Alexandra", "Fiona",
    "Gemma", "Natalie", "Megan", "Aisha", "Priya", "Fatima", "Mei", "Ingrid", "Siobhán", "Niamh",
    "Aoife", "Ciarán", "Seán",
)

SURNAMES: tuple[str, ...] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green",
    "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper",
    "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
    "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
    "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
    "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
    "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali",
    "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight",
    "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Nguyen", "Kim", "Müller",
    "Schmidt", "O'Brien", "O'Connor", "McDonald", "MacLeod", "Fitzgerald", "D'Souza", "Van der Berg",
    "Smith-Jones", "Núñez", "Björk", "Łukasz", "Dubois", "Lefèvre", "Rossi", "Russo", "Ferrari",
    "Kowalski",
)

SURNAME_SYLLABLES: tuple[str, ...] = (
    "ash", "brook", "bury", "by", "cliff", "comb", "dale", "den", "ford", "gate", "ham", "hurst", "ley",
    "low", "mere", "more", "ridge", "shaw", "stead", "thorn", "ton", "wick", "well", "worth", "al",
    "ber", "car", "dun", "el", "fair", "gar", "hol", "kin", "lang", "mar", "nor", "pen", "ross", "sel",
    "tal", "ver", "win", "york", "bran", "cor", "dor", "fen", "gil", "har", "ink",
)

STREET_NAMES: tuple[str, ...] = (
    "High", "Station", "Main", "Church", "Park", "Victoria", "London", "Green", "Manor", "Kings",
    "Queens", "Mill", "New", "School", "Grange", "North", "South", "West", "East", "Chester", "Albert",
    "Windsor", "York", "Elm", "Oak", "Maple", "Cedar", "Pine", "Willow", "Birch", "Highfield",
    "Springfield", "Mount Pleasant", "Broadway", "Market", "Bridge", "Castle", "Hillside", "Meadow",
    "Orchard", "Riverside", "Woodland", "Lake", "Forest", "Sunset", "Washington", "Lincoln",
    "Jefferson", "Madison", "Franklin", "Jackson", "Highland", "Ridge", "Spring", "Chestnut", "Walnut",
    "Cherry", "Hawthorn", "Holly", "Ivy", "Rose", "Primrose",
)

STREET_TYPES: tuple[tuple[str, str], ...] = (
    ("Street", "St"), ("Road", "Rd"), ("Avenue", "Ave"), ("Lane", "Ln"), ("Drive", "Dr"),
    ("Close", "Cl"), ("Court", "Ct"), ("Crescent", "Cres"), ("Place", "Pl"), ("Gardens", "Gdns"),
    ("Terrace", "Tce"), ("Way", "Way"), ("Grove", "Gr"),
)

GB_TOWNS: tuple[tuple[str, str], ...] = (
    ("London", "SW"), ("London", "N"), ("London", "E"), ("Manchester", "M"), ("Birmingham", "B"),
    ("Leeds", "LS"), ("Glasgow", "G"), ("Liverpool", "L"), ("Bristol", "BS"), ("Sheffield", "S"),
    ("Edinburgh", "EH"), ("Cardiff", "CF"), ("Leicester", "LE"), ("Nottingham", "NG"),
    ("Newcastle upon Tyne", "NE"), ("Brighton", "BN"), ("Oxford", "OX"), ("Cambridge", "CB"),
    ("York", "YO"), ("Bath", "BA"), ("Exeter", "EX"), ("Norwich", "NR"), ("Reading", "RG"),
)

US_TOWNS: tuple[tuple[str, str], ...] = (
    ("New York", "NY"), ("Los Angeles", "CA"), ("Chicago", "IL"), ("Houston", "TX"), ("Phoenix", "AZ"),
    ("Philadelphia", "PA"), ("San Antonio", "TX"), ("San Diego", "CA"), ("Dallas", "TX"),
    ("Austin", "TX"), ("Seattle", "WA"), ("Denver", "CO"), ("Boston", "MA"), ("Portland", "OR"),
    ("Atlanta", "GA"), ("Miami", "FL"), ("Minneapolis", "MN"),
)

EMAIL_HOSTS: tuple[str, ...] = (
    "gmail.com", "gmail.com", "gmail.com", "gmail.com", "hotmail.com", "hotmail.com", "yahoo.com",
    "outlook.com", "icloud.com", "aol.com", "btinternet.com", "proton.me", "live.com", "mail.com",
)

DOMAIN_TYPOS: dict[str, tuple[str, ...]] = {
    "gmail.com": ("gmial.com", "gmai.com", "gmail.co", "gamil.com"),
    "hotmail.com": ("hotmial.com", "hotmail.con"),
    "yahoo.com": ("yaho.com",),
    "outlook.com": ("outlok.com",),
}
# fmt: on
