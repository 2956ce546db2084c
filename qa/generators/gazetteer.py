"""A small list of place names (continents, countries, US states, large cities): enough to tell a place
from a person or a company when a "where"/"which country" question needs one. Not exhaustive on purpose;
unknown places still qualify through a preposition ("in Kenmore")."""

from __future__ import annotations

_CONTINENTS = (
    "Africa|Antarctica|Asia|Europe|North America|South America|Oceania|Australia|the Arctic|Arctic|Middle East"
)
_COUNTRIES = (
    "Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|Austria|Azerbaijan|Bahamas|Bahrain|Bangladesh|"
    "Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia|Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|"
    "Burundi|Cambodia|Cameroon|Canada|Chad|Chile|China|Colombia|Congo|Costa Rica|Croatia|Cuba|Cyprus|"
    "Czech Republic|Czechia|Denmark|Djibouti|Dominican Republic|Ecuador|Egypt|El Salvador|Eritrea|Estonia|"
    "Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Georgia|Germany|Ghana|Greece|Greenland|Guatemala|Guinea|"
    "Guyana|Haiti|Honduras|Hong Kong|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Ivory Coast|"
    "Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|"
    "Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Mauritania|Mauritius|Mexico|Moldova|"
    "Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nepal|Netherlands|New Zealand|Nicaragua|"
    "Niger|Nigeria|North Korea|North Macedonia|Norway|Oman|Pakistan|Palestine|Panama|Papua New Guinea|Paraguay|"
    "Peru|Philippines|Poland|Portugal|Puerto Rico|Qatar|Romania|Russia|Rwanda|Saudi Arabia|Scotland|Senegal|"
    "Serbia|Sierra Leone|Singapore|Slovakia|Slovenia|Somalia|South Africa|South Korea|South Sudan|Spain|"
    "Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Togo|Tonga|"
    "Trinidad and Tobago|Tunisia|Turkey|Turkmenistan|Uganda|Ukraine|United Arab Emirates|UAE|United Kingdom|UK|"
    "Britain|Great Britain|England|Wales|United States|US|U.S.|USA|America|Uruguay|Uzbekistan|Vatican|Venezuela|"
    "Vietnam|Yemen|Zambia|Zimbabwe"
)
_STATES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Hawaii|Idaho|Illinois|"
    "Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|"
    "Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|"
    "Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|"
    "Virginia|Washington|West Virginia|Wisconsin|Wyoming"
)
_CITIES = (
    "New York City|Los Angeles|Chicago|Houston|Phoenix|Philadelphia|San Antonio|San Diego|Dallas|San Francisco|"
    "Seattle|Boston|Miami|Atlanta|Denver|Detroit|Las Vegas|Washington, DC|London|Paris|Berlin|Madrid|Rome|"
    "Moscow|Kyiv|Kiev|Beijing|Shanghai|Tokyo|Seoul|Pyongyang|Delhi|New Delhi|Mumbai|Sydney|Melbourne|Toronto|"
    "Montreal|Vancouver|Mexico City|Sao Paulo|Rio de Janeiro|Buenos Aires|Cairo|Istanbul|Dubai|Jerusalem|"
    "Tehran|Baghdad|Kabul|Hong Kong|Singapore|Bangkok|Jakarta|Manila|Nairobi|Lagos|Johannesburg|Brussels|"
    "Amsterdam|Vienna|Warsaw|Stockholm|Oslo|Copenhagen|Helsinki|Dublin|Edinburgh|Geneva|Zurich|Lisbon|Athens"
)

PLACES = frozenset("|".join((_CONTINENTS, _COUNTRIES, _STATES, _CITIES)).split("|"))
