"""Direct quotations in news text and who said them, by exact character offsets (regex scans only).

Self-contained (standard library, re and the Speaker dataclass of assistant.models): it runs over every article at index time.

Quotations
  The text between a pair of quotation marks, marks included: straight "..." and '...', curly
  “...” and ‘...’, guillemets «...» and ‹...›. Marks inside it are nested quotations and belong to
  it. A quotation may run over paragraphs (non-blank lines): the news convention reopens each
  continued paragraph with a mark and closes only the last; merged paragraphs reopen after a full
  stop on one line ('... weeks. "We are ...'); the seed's paragraphs go on without marks until an
  unmatched closing mark. Not quotations: one or two quoted words (scare quotes, terms) and quoted
  titles (capitalised words, no sentence). Apostrophes (don't, Blair's, '90s, rock 'n' roll,
  'the players' biggest') are never marks. An unmatched opening mark quotes to the end of its
  paragraph; an unmatched closing mark is ignored; spans never pass the text.

Speakers (never a guess: when the article does not say, None)
  In order: "X said"/"said X"/"X told ..."/"according to X" next to the quotation; the speech verb
  (SPEECH_VERBS: added, warned, insisted, ... and, in its own sentence, stance verbs such as
  'described ... as', 'praised') governing it in its sentence; a colon introduction ("X said:",
  "X: ", 'Mr Dean is confident though:'; a lead-in naming nobody, 'The question is:', gives
  nobody); a whole sentence after it ('"..." Mr X said.'); for a quotation with no attribution of
  its own, the speech of one of the two sentences before it in this or the previous paragraph
  (a lead-in 'Zulfugarov added that ...:', the previous quotation's speaker, 'X said ...'), or the
  person the sentence right before opens on ('Tory spokesman X repeated his calls ...'), unless
  that sentence is the reporter's question. A pronoun is the person the nearest earlier sentence
  is about (its speaker, else its subject, else the person it names last), skipping sentences
  about the same 'he', with gender when the article shows it (title, first name, 'spokeswoman').
  'the Tory leader' is the person named earlier with that role ('the prime minister' is not the
  Deputy Prime Minister); with no such person, the person who spoke just before if the article
  re-describes them ('the 22-year-old said'). A multi-paragraph quotation takes the attribution
  after its closing mark. A heading that is only a quotation (a pull quote) speaks for the one
  person quoted in its section.
  People only: organisations, places, papers, documents and unnamed sources ("Microsoft said",
  "a Downing Street spokesman", "the report", "it said") give None, as docs/eval/speakers.jsonl
  labels them. Speaker.name is the name as first given in full ("Mr Howard" -> "Michael Howard"),
  without Mr/Mrs/Ms/Dr but with Sir/Lord/Lady ("Sir Alex Ferguson"); a name never given in full
  stays as given ("Mr Prettejohn"). Speaker.role is the role written next to the first full
  mention ("former Azerbaijani Foreign Minister", without a leading article), else next to
  another mention, else None. Speaker.start/end are the offsets of the mention attributing the
  quotation: the name, pronoun or role phrase that is the subject of its speech ("he" in '"...,"
  he said'), or, for an inherited speaker, that of the speech it continues.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from assistant.models import Speaker  # one definition: quotes carry it too


@dataclass(frozen=True)
class Quotation:
    """A direct quotation: `text[start:end]` with its quotation marks, possibly several paragraphs."""

    start: int
    """Offset of the opening quotation mark."""
    end: int
    """Offset just after the closing mark (the paragraph end when the mark is missing)."""
    speaker: Speaker | None
    """Who said it, or None when the article does not say."""


def extract_quotations(text: str) -> tuple[Quotation, ...]:
    """Every direct quotation of `text` in order, with its speaker when the article gives one."""
    if not text or not _ANY_MARK.search(text):
        return ()
    return _Article(text).quotations()


def reported_speakers(text: str, spans: Sequence[tuple[int, int]]) -> list[Speaker | None]:
    """For each sentence `text[start:end]` of `spans`, who it reports speaking in the writer's words: the subject of
    its first verb of speaking outside quotation marks when that subject is a person's name ('Mr Brown said he had
    met his golden rule', '..., said Mr Brown.'), as the article first gives the name in full, marked `reported`.
    None for a pronoun, a role or an organisation ('he said', 'the chancellor said', 'the company said') and for a
    sentence with no verb of speaking: the name must stand in the sentence itself, so nothing is guessed. The
    article is read once for all the spans, and not at all when no span holds a verb of speaking."""
    found: list[Speaker | None] = [None] * len(spans)
    wanted = [i for i, (start, end) in enumerate(spans) if 0 <= start < end <= len(text) and _VERB_RE.search(text, start, end)]
    if not wanted:
        return found
    article = _Article(text)
    for i in wanted:
        start, end = spans[i]
        # No quotation speaks for the sentence (none is passed): its first verb of speaking that is no stance.
        ref = article._sentence_speech(start, end, [])
        if isinstance(ref, _Ref) and ref.kind == "name" and start <= ref.start < ref.end <= end:
            speaker = article._named(ref)
            found[i] = None if speaker is None else replace(_tidied(speaker), reported=True)
    return found


# ---------------------------------------------------------------------------------------------
# Word lists

SPEECH_VERBS = (
    "said says say told tells tell added adds warned warns insisted insists argued argues "
    "stressed stresses commented comments explained explains claimed claims stated states "
    "asserted asserts declared declares noted notes observed observes remarked remarks replied "
    "replies responded responds answered asked asks continued conceded concedes admitted admits "
    "acknowledged acknowledges announced announces suggested suggests urged urges wrote writes "
    "revealed reveals confirmed confirms denied denies maintained maintains predicted predicts "
    "promised promises pledged pledges vowed vows boasted boasts complained complains joked jokes "
    "recalled recalls reckoned reckons agreed agrees concluded concludes emphasised emphasises "
    "emphasized emphasizes underlined underlines described describes called dismissed branded "
    "labelled labeled hailed criticised criticized accused accuses alleged alleges protested "
    "countered counters retorted quipped shouted exclaimed whispered cautioned cautions "
    "forecast believes thinks feels hopes praised welcomed condemned attacked defended rejected "
    "slammed blasted questioned demanded lambasted applauded likened likens apologised apologized apologises "
    "mocked mocks ridiculed"
).split()
"""Verbs that report speech ('thinks'/'believes' report a view stated to the reporter)."""

_SPEECH_SET = frozenset(SPEECH_VERBS)
_STANCE_VERBS = frozenset(
    "believes thinks feels hopes praised welcomed condemned attacked defended rejected slammed blasted "
    "questioned demanded lambasted applauded called described dismissed branded labelled labeled "
    "hailed criticised criticized accused likened likens apologised apologized apologises mocked mocks ridiculed".split()
)
"""Verbs that govern a quotation in their own sentence but are no speech a later one continues."""
_PARTICIPLES = "saying adding telling warning insisting arguing stressing explaining claiming noting asking joking".split()
_PHRASAL = ("pointed out", "points out", "went on", "goes on", "quoted as saying")

_PERSON_TITLES = {
    "Mr": "m", "Mr.": "m", "Sir": "m", "Lord": "m", "Baron": "m", "Mrs": "f", "Mrs.": "f", "Ms": "f",
    "Ms.": "f", "Miss": "f", "Lady": "f", "Dame": "f", "Baroness": "f", "Dr": "", "Dr.": "",
    "Prof": "", "Prof.": "", "Professor": "", "Rev": "", "Rev.": "", "Father": "m", "Sister": "f",
}
_PLAIN_TITLES = frozenset("Mr Mr. Mrs Mrs. Ms Ms. Miss".split())
_HONOURS = frozenset("Sir Dame Lord Lady Baron Baroness".split())
_DROPPED_TITLES = frozenset("Mr Mr. Mrs Mrs. Ms Ms. Miss Dr Dr. Prof Prof. Professor Rev Rev.".split())
"""Titles that are not part of a name as given in full ("Mr Howard" -> "Michael Howard")."""

_ROLE_HEADS = frozenset(
    """leader minister secretary chancellor president premier governor mayor senator commissioner
    chairman chairwoman chair director ambassador judge justice coach manager captain chief officer
    executive spokesman spokeswoman spokesperson professor general colonel commander inspector
    superintendent detective constable sergeant bishop archbishop cardinal pope king queen prince
    princess sheikh emir ayatollah prosecutor attorney representative congressman congresswoman
    deputy boss head analyst economist commentator expert editor correspondent reporter presenter
    singer actor actress star player striker winger midfielder defender goalkeeper keeper champion
    holder pundit founder owner mp mep msp peer candidate campaigner official adviser advisor
    consultant lawyer strategist trader banker investor researcher scientist engineer developer
    partner author writer novelist comedian musician guitarist drummer rapper host designer producer
    vocalist frontman spokesmen member fellow chairperson principal headteacher teacher doctor
    surgeon nurse psychologist historian critic columnist journalist broadcaster lecturer dean
    vice-president vice-chairman secretary-general director-general treasurer whip speaker
    international forward centre fly-half scrum-half hooker prop lock flanker full-back skipper
    veteran manageress administrator organiser organizer activist protester counterpart teenager youngster
    """.split()
)
"""Head nouns of a role ('Tory leader', 'chief executive', 'the England coach')."""

_POSTNOMINALS = frozenset("MP MEP MSP AM QC KC MBE OBE CBE KBE Jr Jr. Sr Sr. II III PhD".split())
_ORG_NOUNS = frozenset(
    """company firm group airline carrier bank retailer ministry government club team party union
    agency network channel broadcaster studio label website site operator giant maker manufacturer
    chain supermarket insurer lender exchange regulator watchdog council commission organisation
    organization association charity body department corporation business publisher store brewer
    distributor federation league authority board institute conglomerate provider developer
    subsidiary unit division arm
    """.split()
)
_NATIONALITIES = frozenset(
    """British English Scottish Welsh Irish American French German Italian Spanish Portuguese Dutch
    Belgian Swiss Austrian Swedish Norwegian Danish Finnish Russian Ukrainian Polish Czech Greek
    Turkish Israeli Palestinian Iraqi Iranian Syrian Egyptian Saudi Chinese Japanese Korean Indian
    Pakistani Australian Canadian Mexican Brazilian Argentine Argentinian Nigerian Kenyan South
    African Zimbabwean Jamaican Croatian Serbian Romanian Bulgarian Hungarian Azerbaijani Armenian
    Georgian Dutchman Frenchman Englishman Scotsman Welshman Irishman Kiwi Aussie""".split()
)
_PERSON_NOUNS = frozenset(
    """winner youngster newcomer nominee hopeful rookie legend icon great ace star
    actor actress singer writer director player veteran boss skipper captain keeper striker
    defender midfielder winger forward international champion runner sprinter athlete golfer
    driver rider boxer jockey cyclist swimmer batsman bowler all-rounder coach manager chairman
    chief executive founder owner entrepreneur tycoon billionaire magnate mogul rapper rocker
    comedian presenter host film-maker filmmaker novelist author poet artist designer model
    politician minister premier president leader mp peer campaigner activist lawyer judge
    """.split()
)
"""Nouns for a person, for 'the two-time Oscar winner said' (with _ROLE_HEADS)."""
_MEDIA_NOUNS = frozenset("paper newspaper daily weekly magazine tabloid broadsheet journal website broadcaster station".split())
_FEMALE_WORDS = frozenset(
    "spokeswoman chairwoman actress businesswoman sportswoman congresswoman queen princess "
    "mother wife sister daughter girl woman lady duchess countess manageress headmistress".split()
)
_MALE_WORDS = frozenset(
    "spokesman chairman businessman sportsman congressman king prince father husband brother son "
    "boy man duke count headmaster frontman".split()
)

_FEMALE_NAMES = frozenset(
    """Mary Patricia Linda Barbara Elizabeth Jennifer Maria Susan Margaret Dorothy Lisa Nancy Karen
    Betty Helen Sandra Donna Carol Ruth Sharon Michelle Laura Sarah Kimberly Deborah Jessica Shirley
    Cynthia Angela Melissa Brenda Amy Anna Rebecca Virginia Kathleen Pamela Martha Debra Amanda
    Stephanie Carolyn Christine Marie Janet Catherine Frances Ann Anne Joyce Diane Alice Julie
    Heather Teresa Theresa Doris Gloria Evelyn Jean Cheryl Mildred Katherine Joan Ashley Judith Rose
    Janice Kelly Nicole Judy Christina Kathy Theresa Beverly Denise Tammy Irene Jane Lori Rachel
    Marilyn Andrea Kathryn Louise Sara Anne Jacqueline Wanda Bonnie Julia Ruby Lois Tina Phyllis
    Norma Paula Diana Annie Lillian Emily Robin Peggy Crystal Gladys Rita Dawn Connie Florence Tracy
    Edna Tiffany Carmen Rosa Cindy Grace Wendy Victoria Edith Kim Sherry Sylvia Josephine Thelma
    Shannon Sheila Ethel Ellen Elaine Marjorie Carrie Charlotte Monica Esther Pauline Emma Juanita
    Anita Rhonda Hazel Amber Eva Debbie April Leslie Clara Lucille Jamie Joanne Eleanor Valerie
    Danielle Megan Alicia Suzanne Michele Gail Bertha Darlene Veronica Jill Erin Geraldine Lauren
    Cathy Joann Lorraine Lynn Sally Regina Erica Beatrice Dolores Bernice Audrey Yvonne Annette June
    Samantha Marion Dana Stacy Ana Renee Ida Vivian Roberta Holly Brittany Melanie Loretta Yolanda
    Jeanette Laurie Katie Kristen Vanessa Alma Sue Elsie Beth Jeanne Vicki Carla Tara Rosemary
    Eileen Lucy Hilary Hillary Condoleezza Madeleine Tessa Harriet Clare Claire Patricia Estelle
    Ruth Fiona Nicola Kirsty Wendy Baroness Ruth Hazel Margaret Glenda Joanna Natasha Olga Svetlana
    Kylie Madonna Britney Beyonce Christina Kate Keira Nicole Gwyneth Charlize Hilary Imelda Liza
    Cate Scarlett Angelina Jennifer Halle Whoopi Oprah Serena Venus Amelie Justine Kim Martina Lindsay
    Anastasia Elena Svetlana Maria Paula Kelly Jo Sonia Denise Davina Dido Joss Jamelia Natalie
    Annie Sienna Zoe Chloe Sophie Sophia Isabel Isabelle Ines Ingrid Greta Heidi Helga Monique
    Nathalie Catherine Carla Benazir Aung Tzipi Ségolène Segolene Angela Yulia Julia Patsy Estelle
    Jacqui Harriet Margaret Oona Tessa Clare Ann Mo Caroline Ruth Janet Sally Baroness Glenys Cherie
    Leonie Lorna Trudie Lulu Emeli Ellie Adele Shakira Alanis Avril Norah Mariah Whitney Aretha Tina
    Cher Bjork Gwen Missy Alicia Ashanti Jessica Lindsay Paris Nicky Nikki Anne-Marie Marie-Claire
    Gillian Shirley Joyce Penelope Penny Jenny Jennie Mandy Vicky Becky Kay Fay Faye Gemma Jade
    Kerry Lesley Maureen Sheila Meg Carly Condi Helena Germaine Yvette Gwyneth Charlize Bridget
    Siobhan Aisling Niamh Mairead Sinead Roisin Morag Isla Eilidh Ailsa Catriona Shona Deirdre
    Irina Natalia Tatiana Daniela Francesca Giulia Chiara Sofia Lucia Marta Pilar Beatriz Ute Petra
    Sabine Monika Ursula Heike Birgit Annika Agnes Astrid Silvia Simone Sylvie Martine Elisabeth
    Jelena Dannii Geri Myleene Kimberley Nadine Kirsten Kristin Karin Katrin Katarina Magdalena
    Malgorzata Agnieszka Anja Tanja Lena Nina Mia Eva Ella Ruby Grace Lily Hannah Abigail Olivia
    Ava Charlotte Georgia Imogen Rosie Phoebe Amelia Freya Lola Daisy Poppy Tilly Millie Nell Teresa Tracey Yvette Zara Zadie Arundhati Doris""".split()
)
_MALE_NAMES = frozenset(
    """James John Robert Michael William David Richard Charles Joseph Thomas Christopher Daniel Paul
    Mark Donald George Kenneth Steven Edward Brian Ronald Anthony Kevin Jason Matthew Gary Timothy
    Jose Larry Jeffrey Frank Scott Eric Stephen Andrew Raymond Gregory Joshua Jerry Dennis Walter
    Patrick Peter Harold Douglas Henry Carl Arthur Ryan Roger Joe Juan Jack Albert Jonathan Justin
    Terry Gerald Keith Samuel Willie Ralph Lawrence Nicholas Roy Benjamin Bruce Brandon Adam Harry
    Fred Wayne Billy Steve Louis Jeremy Aaron Randy Howard Eugene Carlos Russell Bobby Victor Martin
    Ernest Phillip Phillips Todd Jesse Craig Alan Shawn Clarence Sean Philip Chris Johnny Earl Jimmy
    Antonio Danny Bryan Tony Luis Mike Stanley Leonard Nathan Dale Manuel Rodney Curtis Norman Allen
    Marvin Vincent Glenn Jeffery Travis Jeff Chad Jacob Lee Melvin Alfred Kyle Francis Bradley Jesus
    Herbert Frederick Ray Joel Edwin Don Eddie Ricky Troy Randall Barry Alexander Bernard Mario
    Leroy Francisco Marcus Micheal Theodore Clifford Miguel Oscar Jay Jim Tom Calvin Alex Jon Ronnie
    Bill Lloyd Tommy Leon Derek Warren Darrell Jerome Floyd Leo Alvin Tim Wesley Gordon Dean Greg
    Jorge Dustin Pedro Derrick Dan Lewis Zachary Corey Herman Maurice Vernon Roberto Clyde Glen
    Hector Shane Ricardo Sam Rick Lester Brent Ramon Charlie Tyler Gilbert Gene Marc Reginald Ruben
    Brett Angel Nathaniel Rafael Leslie Edgar Milton Raul Ben Chester Cecil Duane Franklin Andre
    Elmer Brad Gabriel Ron Mitchell Roland Arnold Harvey Jared Adrian Karl Cory Claude Erik Darryl
    Jamie Neil Jessie Christian Javier Fernando Clinton Ted Mathew Tyrone Darren Lonnie Lance Cody
    Julio Kelly Kurt Allan Nelson Guy Clayton Hugh Max Dwayne Dwight Armando Felix Jimmie Everett
    Jordan Ian Wallace Ken Bob Jaime Casey Alfredo Alberto Dave Ivan Johnnie Sidney Byron Julian
    Isaac Morris Clifton Willard Daryl Ross Virgil Andy Marshall Salvador Perry Kirk Sergio Marion
    Tracy Seth Kent Terrance Rene Eduardo Terrence Enrique Freddie Wade Austin Stuart Fredrick
    Arturo Alejandro Jackie Joey Nick Luther Wendell Jeremiah Evan Julius Dana Donnie Otis Shannon
    Trevor Oliver Luke Homer Gerard Doug Kenny Hubert Angelo Shaun Lyle Matt Lynn Alfonso Orlando
    Rex Carlton Ernesto Cameron Neal Pablo Lorenzo Omar Wilbur Blake Grant Horace Roderick Kerry
    Abraham Willis Rickey Jean Ira Andres Cesar Johnathan Malcolm Rudolph Damon Kelvin Rudy Preston
    Alton Archie Marco Wm Pete Randolph Garry Geoffrey Jonathon Felipe Bennie Gerardo Ed Dominic
    Robin Loren Delbert Colin Guillermo Earnest Lucas Benny Noel Spencer Rodolfo Myron Edmund Garrett
    Salvatore Cedric Lowell Gregg Sherman Wilson Devin Sylvester Kim Roosevelt Israel Jermaine Forrest
    Wilbert Leland Simon Guadalupe Clark Irving Carroll Bryant Owen Rufus Woodrow Sammy Kristopher
    Mack Levi Marcos Gustavo Jake Lionel Marty Taylor Ellis Dallas Gilberto Clint Nicolas Laurence
    Ismael Orville Drew Jody Ervin Dewey Al Wilfred Josh Hugo Ignacio Caleb Tomas Sheldon Erick Frankie
    Stewart Doyle Darrel Rogelio Terence Santiago Alonzo Elias Bert Elbert Ramiro Conrad Pat Noah
    Grady Phil Cornelius Lamar Rolando Clay Percy Dexter Bradford Merle Darin Amos Terrell Moses
    Irvin Saul Roman Darnell Randal Tommie Timmy Darrin Winston Brendan Toby Van Abel Dominick Boyd
    Courtney Jan Emilio Elijah Cary Domingo Santos Aubrey Emmett Marlon Emanuel Jerald Edmond Emil
    Dewayne Will Otto Teddy Reynaldo Bret Morgan Jess Trent Humberto Emmanuel Stephan Lou Vicente
    Lamont Stacy Garland Miles Micah Efrain Billie Logan Heath Rodger Harley Demetrius Ethan Eldon
    Rocky Pierre Junior Freddy Eli Bryce Antoine Robbie Kendall Royce Sterling Mickey Chase Grover
    Elton Cleveland Dylan Chuck Damian Reuben Stan August Leonardo Jasper Russel Erwin Benito Hans
    Monte Blaine Ernie Curt Quentin Agustin Murray Jamal Devon Adolfo Harrison Tyson Burton Brady
    Elliott Wilfredo Bart Jarrod Vance Denis Damien Joaquin Harlan Desmond Elliot Darwin Ashley
    Gregorio Buddy Xavier Kermit Roscoe Esteban Anton Solomon Scotty Norbert Elvin Williams Nolan
    Carey Rod Quinton Hal Brain Rob Elwood Kendrick Darius Moises Son Marlin Fidel Thaddeus Cliff
    Marcel Ali Jackson Raphael Bryon Armand Alvaro Jeffry Dane Joesph Thurman Ned Sammie Rusty
    Michel Monty Rory Fabian Reggie Mason Graham Kris Isaiah Vaughn Gus Avery Loyd Diego Alexis Adolph
    Norris Millard Rocco Gonzalo Derick Rodrigo Gerry Stacey Carmen Wiley Rigoberto Alphonso Ty
    Shelby Rickie Noe Vern Bobbie Reed Jefferson Elvis Bernardo Mauricio Hiram Donovan Basil Riley
    Ollie Nickolas Maynard Scot Vince Quincy Eddy Sebastian Federico Ulysses Heriberto Donnell Cole
    Denny Davis Gavin Emery Ward Romeo Jayson Dion Dante Clement Coy Odell Maxwell Jarvis Bruno Issac
    Mary Dudley Brock Sanford Carmelo Barney Nestor Hollis Stefan Donny Art Linwood Beau Weldon
    Galen Isidro Truman Delmar Johnathon Silas Frederic Dick Kirby Irwin Cruz Merlin Merrill Charley
    Marcelino Lane Harris Cleo Carlo Trenton Kurtis Hunter Aurelio Winfred Vito Collin Denver Carter
    Leonel Emory Pasquale Mohammad Mariano Danial Blair Landon Dirk Branden Adan Numbers Clair Buford
    German Bernie Wilmer Joan Emerson Zachery Fletcher Jacques Errol Dalton Monroe Josue Dominique
    Edwardo Booker Wilford Sonny Shelton Carson Theron Raymundo Daren Tristan Houston Robby Lincoln
    Jame Genaro Gale Bennett Octavio Cornell Laverne Hung Arron Antony Herschel Alva Giovanni Garth
    Cyrus Cyril Ronny Stevie Lon Freeman Erin Duncan Kennith Carmine Augustine Young Erich Chadwick
    Wilburn Russ Reid Myles Anderson Morton Jonas Forest Mitchel Mervin Zane Rich Jamel Lazaro Alphonse
    Randell Major Johnie Jarrett Brooks Ariel Abdul Dusty Luciano Lindsey Tracey Seymour Scottie
    Eugenio Mohammed Sandy Valentin Chance Arnulfo Lucien Ferdinand Thad Ezra Sydney Aldo Rubin Royal
    Mitch Earle Abe Wyatt Marquis Lanny Kareem Jamar Boris Isiah Emile Elmo Aron Leopoldo Everette
    Josef Gail Eloy Dorian Rodrick Reinaldo Lucio Jerrod Weston Hershel Barton Parker Lemuel Lavern
    Burt Jules Gil Eliseo Ahmad Nigel Efren Antwan Alden Margarito Coleman Refugio Dino Osvaldo Les
    Deandre Normand Kieth Ivory Andrea Trey Norberto Napoleon Jerold Fritz Rosendo Milford Sang Deon
    Christoper Alfonzo Lyman Josiah Brant Wilton Rico Jamaal Dewitt Carol Brenton Yong Olin Foster
    Faustino Claudio Judson Gino Edgardo Berry Alec Tanner Jarred Donn Trinidad Tad Shirley Prince
    Porfirio Odis Maria Lenard Chauncey Chang Tod Mel Marcelo Kory Augustus Keven Hilario Bud Sal
    Rosario Orval Mauro Dannie Zachariah Olen Anibal Milo Jed Frances Thanh Dillon Amado Newton
    Connie Lenny Tory Richie Lupe Horacio Brice Mohamed Delmer Dario Reyes Dee Mac Jonah Jerrold
    Robt Hank Sung Rupert Rolland Kenton Damion Chi Antone Waldo Fredric Bradly Quinn Kip Burl
    Walker Tyree Jefferey Ahmed Gordon Tony Gordon Nigel Alastair Alistair Iain Ewan Euan Hamish
    Angus Callum Ruairi Rhodri Dafydd Gareth Gethin Huw Ieuan Owain Emlyn Gwyn Glyn Dai Aled Rhys
    Thierry Arsene Jose Rafael Roger Lleyton Andy Tim Gavin Jonny Lawrence Clive Wayne Steven Frank
    Rio Sol Ashley Jermain Jermaine Alan Alex Sven Goran Zinedine Luis Ronaldo Ronaldinho Didier
    Fabio Claudio Carlo Marcello Gianluca Paolo Alessandro Francesco Jacques Jean-Pierre Jean-Claude
    Jean-Marie Dominique Nicolas Gerhard Joschka Helmut Silvio Romano Vladimir Mikhail Viktor Yuri
    Boris Sergei Dmitry Igor Leonid Hamid Mahmoud Ariel Ehud Benjamin Yasser Kofi Nelson Thabo
    Robert Jacob Olusegun Hosni Saddam Ayad Ibrahim Osama Jalal Junichiro Hu Wen Kim Roh Jiang
    Vaclav Lech Aleksander Jose-Manuel Romano Rodrigo Gordon Ming Menzies Charles Paddy Des Ricky
    Ozzy Elton Sting Bono Eminem Robbie Ringo Mick Keith Bruce Prince Moby Kanye Usher Jay-Z Snoop
    Clint Leonardo Johnny Brad Tom Ewan Jude Hugh Colin Orlando Keanu Denzel Jamie Russell Quentin
    Steven Peter Ridley Mel Kevin Dustin Morgan Liam Ricky Simon Ant Dec Jools Jonathan Terry
    Chris Zach Sideways Giamatti Alexander Bill Jim Tom Dave Joe Kofi Gerry Ian Jack Charles Gordon
    Bertie Silvio Alvaro Kurt Rainer Lothar Hans-Peter Jurgen Jürgen Otto Arnold Arnie Wolfgang
    Florian Gerd Milan Jarek Jaroslav Pavel Petr Jiri Marek Piotr Krzysztof Andrzej Luca Marco
    Giovanni Giuseppe Matteo Javier Iker Xavi Olivier Laurent Philippe Francois Pierre Henri Dieter
    Klaus Uwe Gunter Bernd Horst Rudi Ralf Geoff Graeme Tam Ally Walter Sven Lars Henrik Anders
    Jens Mats Nils Ole Bjorn Rune Tore Kjell Arne Mikael Magnus Erik Juha Jari Kimi Mika Ivan
    Dmitry Dmitri Sergey Alexei Andrei Mikhail Nikolai Oleg Yevgeny Vitaly Vladislav Yuri Goran
    Zoran Dragan Slobodan Zlatan Ante Davor Robbie Steve Stevie Ryan Wayne Darren Jermain Ledley""".split()
)
_UNISEX_NAMES = frozenset(
    "Chris Sam Alex Jo Jess Lee Kim Pat Robin Leslie Jamie Kelly Lynn Tracy Tracey Dana Shannon Jean "
    "Taylor Jordan Morgan Casey Jan Ashley Carey Kerry Sandy Sydney Stacey Stacy Frankie Billie".split()
)
"""First names given to women and men alike: no gender from them."""
_AMBIGUOUS_NAMES = _UNISEX_NAMES | frozenset("Will Mark April May June August".split())
"""First names that are also everyday words or months: still names before a surname."""
_MALE_NAMES = _MALE_NAMES - _FEMALE_NAMES - _UNISEX_NAMES - {"Sideways", "Numbers", "Giamatti", "Brain", "Young", "Major", "Royal"}
_FEMALE_NAMES = _FEMALE_NAMES - _UNISEX_NAMES
_FIRST_NAMES = _MALE_NAMES | _FEMALE_NAMES | _AMBIGUOUS_NAMES

_NOT_NAMES = frozenset(
    """The A An This That These Those It Its He She They We I You His Her Their Our My Your Him Them
    But And Or So Yet Nor For However Meanwhile Moreover Furthermore Although Though While Whilst
    When Where Why How What Who Whom Which Whose If Unless Because Since As After Before During Under
    Over Until Despite Speaking Asked Writing According In On At By From With Without Into Of To
    Also Now Then Today Yesterday Tomorrow Earlier Later Last Next Both All Some Many Most Several
    Other Others Such Each Every Any No Not One Two Three Four Five Six Seven Eight Nine Ten First
    Second Third Here There Still Even Only Just Instead Indeed Overall Finally Later Recently
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
    July August September October November December Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr Jun
    Jul Aug Sep Sept Oct Nov Dec Christmas Easter New Year Let Do Does Did Is Are Was Were Be Been
    Has Have Had Will Would Should Could Can May Might Must Shall Yes Well Oh Please Thank Thanks
    Like Please Among Against Through Throughout Within Across Along Around Between Beyond Upon Via
    Neither Either Whether Once Twice Perhaps Maybe Nevertheless Nonetheless Therefore Thus Hence
    Otherwise Again Already Always Never Often Sometimes Soon Rather Quite Very Mostly Many Much
    More Less Few Fewer Another Same Own Whatever Whoever Wherever Whenever Following Including
    Former Ex Retired Veteran Outgoing Acting Interim Caretaker Defending Reigning""".split()
)
"""Capitalised words that start sentences or name days, never people ('Former Chelsea captain Desailly' names
Desailly, not a 'Former Chelsea')."""

_ORG_WORDS = frozenset(
    """Party Council Bank Street Office Group Association Union Inc Ltd Plc plc Corp Corporation
    Company Co University College School Commission Committee Ministry Department Agency Institute
    Federation League Club United City Court Parliament Assembly Executive Act Bill Airways Airlines
    Motors Studios Records Times News Post Journal Trust Foundation Fund Board Service Services
    Authority Organisation Organization Games Cup Championship Championships Open Olympics Awards
    Award Prize House Hall Centre Center Square Road Valley Island Islands Kingdom States Republic
    Nations Empire Church Network Networks Systems Technologies Software Microsystems Communications
    Telecom Entertainment Pictures Music Media Industries Holdings Partners Capital Securities
    Reserve Exchange Market Markets Index Inquiry Report Review Programme Program Show Festival
    Stadium Park Airport Station Hospital Police Army Navy Force Forces Office Government Treasury
    Commons Lords Senate Congress Cabinet Labour Conservative Conservatives Tory Tories Democrat
    Democrats Liberal Republican Republicans Socialist Green Greens Nationalist Nationalists Sinn
    Fein Unionist World Europe European America American British Britain English England Scottish
    Scotland Welsh Wales Irish Ireland French France German Germany Italian Italy Spanish Spain
    Chinese China Japanese Japan Russian Russia Indian India African Africa Asian Asia Australian
    Australia US UK EU UN USA International National Royal Federal Central Global Digital
    Online Internet Net Web Mobile Radio TV Television Channel Film Films Magazine Newspaper Daily
    Sunday Weekly Herald Guardian Telegraph Independent Observer Mirror Sun Express Mail Standard
    Economist Review Studio Theatre Theater Museum Gallery Orchestra Opera Ballet Band Labs
    Laboratories Research Consulting Investments Investment Financial Finance Insurance Energy Oil
    Gas Power Electric Electronics Computer Computers Health Care Foods Food Drinks Brewery Stores
    Retail Airbus Boeing Sony Microsoft Apple Google Yahoo Intel IBM Nokia Vodafone BT BBC ITV
    Street Avenue Lane North South East West Northern Southern Eastern Western Middle Premiership
    Division Conference Series Trophy Grand Prix Tour Test Six Nations Lions Rovers Athletic Wanderers
    City Town Villa Albion County Hotspur Argyle Celtic Rangers Wednesday Palace Forest Rugby
    Football Cricket Tennis Golf Olympic Paralympic Commonwealth Davis Ryder Masters Classic""".split()
)
"""Words that make a capitalised run an organisation, place or event rather than a person."""
_NICKNAMED = re.compile(r"\b([A-Z][a-z]+) [\"“][A-Z][\w.\-]*(?: [A-Z][\w.\-]*)?[\"”] ([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
"""'Antonio "LA" Reid': a first name, a nickname of one or two capitalised words in marks, a surname."""
_SCARE_QUOTE = re.compile(r"(?<=[a-z] )[\"“]([^\"“”\n]{1,40})[\"”](?= [a-z])")
"""A term in quotation marks between two lower-case words ('the so-called "Blair Babes" elected'), marks and all."""
_LEAD_NOUNS = frozenset("figure backbencher mp peer campaigner expert veteran".split())
"""Words a story's lead describes one person by ('a leading industry figure', 'a Labour backbencher') besides roles."""
_ANONYMOUS_NOUNS = frozenset("source sources insider insiders aide aides friend friends ally allies official officials "
                             "spokesman spokeswoman spokesperson diplomat diplomats".split())
"""People news keeps unnamed on purpose ('a senior source', 'an official'): the next paragraph's speaker is not them."""
_AFFILIATION_START = re.compile(r"\s*(?:from|of|at|with)\s")
"""An appositive that gives where someone works: 'X, from Panasonic's laboratories,'."""
_SURNAME_ORG_WORDS = frozenset(
    "Green Power Hall Lane Church West East North South France England Ireland Scotland Wales Holland French German "
    "English Irish Welsh".split()
)
"""Organisation, place or nationality words that are also common surnames: after a first name that is nothing else
they end a person's name ('Elizabeth France', 'Andrew Green', 'Mike German'). Street, Park, Road, Square and the like,
which follow first names in places' names ('Victoria Street', 'James Park'), are left out."""

_STOP_ROLE_WORDS = frozenset(
    """the a an this that these those its his her their our my your and but or so yet as at by
    from with in on into to of for said says told added when while after before since during
    under over is are was were be been has have had will would should could can may might must
    who whom which whose where why how what than then there here also now yesterday today
    tomorrow earlier later last next week weekend month year years ago it he she they we i you
    him them one two""".split()
)

_TIME_WORDS = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June "
    "July August September October November December Christmas Easter Speaking Asked".split()
)
_LEAD_WORDS = frozenset(
    "But And Or So Yet However Meanwhile Now Then Also Still Earlier Later Instead Indeed Separately "
    "Elsewhere Overall Finally Nevertheless Speaking Writing Asked Last Next Yesterday Today Said Says Added".split()
)

_ADVERBS = (
    "has|have|had|also|then|later|earlier|previously|recently|once|again|further|simply|subsequently|"
    "today|yesterday|now|would|will|had earlier|has since|flatly|repeatedly|publicly|privately|"
    "reportedly|quickly|immediately|always|often|never|even|still|just|only|already|angrily|"
    "firmly|strongly|clearly|openly|bluntly|candidly|frankly|famously|memorably|jokingly|"
    "tearfully|emotionally|proudly|defiantly|confidently|cautiously|optimistically|recently|"
    "last week|last month|last year|on [A-Z][a-z]+day|in a statement|in an interview|"
    "is reported to have|was reported to have|is quoted as|was quoted as|is said to have|"
    "is alleged to have|was alleged to have|allegedly|apparently|"
    "has been quoted as|is understood to have|was understood to have|is seen|was seen|is heard|was heard|"
    "can be heard|is shown|was shown|is filmed|was filmed|is due to|was due to|is expected to|"
    "was expected to|is set to|was set to|is to|was to|is going to|was going to|will|would"
)

# ---------------------------------------------------------------------------------------------
# Regular expressions

_UPPER = "".join(c for c in map(chr, range(0xC0, 0x250)) if c.isupper() and c.isalpha())
_UP = "A-Z" + re.escape(_UPPER)
_ANY_MARK = re.compile("[\"“”„‟«»‹›'‘’‚‛]")
_D_OPEN = frozenset("“„‟«")
_D_CLOSE = frozenset("”»")
_S_OPEN = frozenset("‘‚‛‹")
_OPENERS = frozenset("([{<—–-/“„‟«‘‚‛‹")
_CLOSERS = frozenset(".,;:!?)]}>—–-/…”»’›")
_ELISIONS = re.compile(r"(?:em|n|tis|twas|cause|til|till|bout|round|cos|ere|er|un|ow|nuff|s)\b", re.I)

# A capitalised word, or an initial before a surname that ends the name ('John E. Kelly'; 'Malcolm X. Attallah
# Shabazz' is two names), with the full stop of a title ('Mr.', 'Dr.').
_TOKEN = (
    rf"(?:[A-Z]\.(?=[ ][{_UP}][a-z][\w'’\-]*(?![\w'’\-]|[ ][{_UP}]))|[{_UP}][\w\-]*(?:['’]\w{{2,}}(?:-\w+)*)?)"
    r"(?:(?:(?<=Mr)|(?<=Mrs)|(?<=Ms)|(?<=Dr)|(?<=St)|(?<=Prof)|(?<=Rev)|(?<=Gen)|(?<=Sen)|(?<=Gov))\.)?"
)
_NAME_PREFIXES = ("al", "el", "bin", "ibn", "de", "d", "l", "van", "von", "le", "la", "da", "di", "du", "del", "dos", "ter", "ten")
_CAPWORD = rf"(?:(?:{'|'.join(_NAME_PREFIXES)})[-'’])?{_TOKEN}"
_PARTICLE = r"(?:de|van|von|der|den|da|di|du|le|la|del|della|bin|ibn|al|el|ter|ten|dos|das|y|von der|van der|van den|de la)"
_CAPRUN = rf"{_CAPWORD}(?:[ ](?:{_PARTICLE}[ ])?{_CAPWORD})*"
# Starts with a character class so that re skips quickly to capital letters (a leading
# look-behind or optional prefix made this scan the slowest step); _capital_runs checks the rest.
_CAPRUN_SCAN = re.compile(rf"{_TOKEN}(?:[ ](?:{_PARTICLE}[ ])?{_CAPWORD})*")
_CAPRUN_END = re.compile(rf"(?<![\w\-'’])(?:{_CAPRUN})(?:[ ]of(?:[ ]the)?[ ]{_CAPRUN})?$")
_NAME_THEN_PREPOSITION = re.compile(rf"(?<![\w\-'’])({_CAPRUN})\s+(?:of|from|at|with|for)\s")
_CAPRUN_START = re.compile(rf"(?:{_CAPRUN})(?:[ ]of(?:[ ]the)?[ ]{_CAPRUN})?")



def _alternation(words: list[str]) -> str:
    """A regex matching any of `words`, as a trie: Python's re tries a flat alternation of many
    words one by one at every position, which made this scan the slowest step."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        if len(alts) == 1 and "" not in node:
            return alts[0]
        body = "(?:" + "|".join(alts) + ")"
        return body + "?" if "" in node else body

    return build(trie)


_VERB_WORDS = "|".join(sorted(SPEECH_VERBS + _PARTICIPLES, key=len, reverse=True))
_VERB_RE = re.compile(
    r"(?<![\w\-'’])" + _alternation(SPEECH_VERBS + _PARTICIPLES + list(_PHRASAL) + ["according to", "According to"]) + r"(?![\w\-])"
)
_ADVERB_TAIL = re.compile(rf"(?:\s+(?:{_ADVERBS}|[a-z]+ly))+\s*$")
_WORD = re.compile(r"[\w'’\-\.]+")
_SENT_END = re.compile(r"[.!?…]+[\"”’'»)\]]*(?=\s)")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st rev gen col lt sgt capt gov sen rep jr sr inc ltd co corp no nos vs v etc "
    "eg ie al fig approx dept est jan feb mar apr jun jul aug sep sept oct nov dec mt ft".split()
)
_BOUNDARY_WORDS = frozenset(
    "that which who whom whose and but or while as because when if after before whereas although "
    "though since so where than until unless once whether what how why said".split()
)
_ROLE_BEFORE = re.compile(r"\b(?:" + "|".join(sorted(_ROLE_HEADS, key=len, reverse=True)) + r")\s+$")
_TERMINAL_TAIL = re.compile(
    r"\s*(?:(?:in|on|at|during|after|before|yesterday|today|last|this|earlier|later|recently|when|while)\b[^.;!?]{0,50})?"
    r"[.!?]?[\"”’]*\s*"
)
"""What may follow 'X said' for it to be a whole sentence attributing the quotation before it."""
_SURNAME_PARTICLES = frozenset("Le La De Du Van Von Di Da Del Della Dos Des Der Den Ter Ten".split())
"""'Le Bon' is Simon Le Bon's surname, not a full name of its own."""
_HYPHEN_WORDS = frozenset("of the in year old time match a on up maker winner born based owned led".split())
_PUBLICATION_AFTER = re.compile(r"\s+(?:magazine|newspaper|journal|website|tabloid)\b", re.IGNORECASE)
"""What follows a capitalised run that names a publication, not a person ('Rolling Stone magazine')."""

_ROLE_STOP_VERBS = frozenset(
    "met joined signed backed named beat replaced succeeded thanked appointed hired fired sacked "
    "interviewed asked invited urged visited congratulated phoned called blamed including aside despite "
    "against like than plus via".split()
)
_RANK_WORDS = frozenset("deputy vice shadow former assistant junior acting co ex- interim associate under-secretary".split())
"""Words that make a role someone else's: 'Deputy Prime Minister' is not 'the prime minister'."""
_AUXILIARIES = frozenset("has have had was were is are will would be been being to".split())
_PREDICATE_START = re.compile(
    r"\s*(?:has|have|had|is|are|was|were|will|would|could|can|should|may|might|must|did|does|do|also|then)\b"
)
"""A phrase after a name that opens with a verb is what the person does, not their role."""
_GERUND_LEADS = frozenset("by in on after before while when without from but since despite".split())
"""Words after which an -ing word is a verb ('by appointing psychologist X'), not a role's noun ('and marketing manager')."""
_ROLE_GERUNDS = frozenset("managing acting defending reigning outgoing incoming founding leading ruling presiding visiting".split())
"""Words ending in -ing that open a role ('by managing director Karen Brady', 'from defending champion X')."""
_SPEAKS_AFTER = re.compile(
    r"(?:\s*,\s*(?:a|an|the|former|chief|senior|head|deputy|who)\b(?:[^,;.]|\.(?=\w)){0,120},)?\s*(?:(?:has|had|also|later|then)\s+)*"
    + _alternation(SPEECH_VERBS + ["according"])
    + r"\b"
)
_SPEAKS_BEFORE = re.compile(r"\b(?:said|says|added|according to|told by)\s+$")
_DETERMINER_BEFORE = re.compile(r"\b(?:the|a|an|his|her|its|their|these|those|such|our|my|your|whose|of|new|any|no|some|recent)\s+$", re.I)
_POSSESSIVE_BEFORE = re.compile(r"(?<![\w'’])(?!(?:he|she|it|that|who|there|what|here|where|one)['’]s\s)[\w\-]+(?:['’]s|s['’])\s+$", re.I)
"""'Sir Ian's comments', 'the ministers' claims': after a possessive a speech word is a noun ('he's said' is no possessive)."""
_NOT_SUBJECT_START = re.compile(r"(?:for|of|in|on|at|by|to|from|with|about|as|than|into|after|before|during|since|was|is|were|are|had|has|have|and|but|or|so|because|if|that|which)\b")
_COORDINATED_NP = re.compile(r"(?:^|[\s,;:])((?:[Tt]he|[Aa]n?)\s+(?:[a-z][\w'’\-]*\s+){0,4}[a-z][\w'’\-]*\s+and\s+(?:[a-z][\w'’\-]*\s+){0,2}[a-z][\w'’\-]*)$")
_PREPOSITION_THE = re.compile(r"\b(?:in|to|for|from|by|told|with|on|at)\s+the\s+$")
_RELATIVE_BEFORE_VERB = re.compile(r",\s+(?P<who>who|whose|which)\s[^.;!?\"“”\n]*,$")
"""A relative clause between a subject and its verb of speaking ('X, whose films include ..., said')."""
_LEADING_WORDS = re.compile(rf"(?:(?:{'|'.join(sorted(_LEAD_WORDS))})\s+)+")
_LEADS = rf"\s*(?:(?:{'|'.join(sorted(_LEAD_WORDS))}),?\s+)*"
"""What may stand before a sentence's subject: lead words ('And', 'But meanwhile')."""
_OPENING_PRONOUN = re.compile(rf"{_LEADS}(?P<p>[Hh]e|[Ss]he)\b")
_NEXT_CHAR = re.compile(r"\s+(\S)")
_SUBJECT_PRONOUN = re.compile(r"\b([Hh]e|[Ss]he)\b")
_OBJECT_HEADS = frozenset(
    "on of by about for with to against from at over than like into towards under behind after before between among "
    "without including alongside beat beating beaten replace replacing replaced sign signing signed sack sacked "
    "criticised praised attacked accused backed urged named defeated".split()
)
"""Words after which a name is what a sentence talks about ('foul on Ashley Cole', 'for striker Fernando Morientes'), not
who speaks in it."""
_SUBORDINATOR_BEFORE = re.compile(r"\b(?:after|before|when|because|since|until|unless|although|though|if|once|as)\s+$")
"""A conjunction right before a speaking pronoun: its clause is subordinate ('... after he said the party ...')."""
_SENTENCE_OPENING = re.compile(_LEADS)
_PARTICLE_WORDS = frozenset("van von der den de la le du da di del della dos das ter ten bin ibn al el".split())
_DEMONYMS = frozenset("Swede Briton Spaniard Scot Dane Finn Pole Turk Argentine Belgian Dutchman".split())
"""A nationality as a noun before a name ('Swede Joachim Johansson'); each is also a first name or a word, so it is only
dropped before two more capitalised words."""
_ORIGIN_NOUNS = frozenset("scot scotsman frenchman englishman welshman irishman spaniard dane swede briton argentine".split())
_OTHER_SUBJECT = re.compile(
    rf"{_LEADS}(?:They|We|It|I|You|Nobody|No one|Everyone|Everybody|There|This|That)\b"
)
"""A sentence opening with a subject that is no named man or woman ('They could picture Michael Howard ...')."""
_CLAUSE_WORDS = re.compile(
    r"\b(?:was|is|were|are|has|have|had|will|would|can|could|should|may|might|must|be|been|not|that|"
    r"it|there|this|to|if|would|did|does|do)\b"
)


# ---------------------------------------------------------------------------------------------
# Quotation marks


@dataclass
class _Raw:
    """A pair of marks found by the scanner (before filtering scare quotes and titles)."""

    start: int
    end: int
    closed: bool
    single: bool


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Lines holding text, trimmed: BBC files merge paragraphs into lines, the seed separates them
    by blank lines, and a quotation's reopening mark always starts a line."""
    spans = []
    for m in re.finditer(r"[^\r\n]+", text):
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            spans.append((s, e))
    return spans


def _flanks(text: str, i: int) -> tuple[bool, bool]:
    """(left-flanking, right-flanking): a mark that can open / close, by its neighbours."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    space_before = before.isspace() or before in _OPENERS or before in "\"'"
    space_after = after.isspace() or after in _CLOSERS or after in "\"'"
    return (space_before and not after.isspace(), not before.isspace() and space_after)


_INCH = re.compile(r"\d\"(?:-|[ \t]+)(?:tall|wide|long|high|deep|thick|across|diameter|screens?|displays?|monitors?|tvs?|"
                   r"televisions?|telly|laptops?|pizzas?|inch(?:es)?|x)\b", re.IGNORECASE)
"""A straight double mark after a digit and before a word of size ('a 5" screen', 'about 5' 10" tall'): an inch sign,
no quotation mark. After any other word it closes ('no better than "50-50" to face', 'a need for Cox-2" inhibitors')."""


def _direction(text: str, i: int, single_open: bool) -> str:
    """'o' opening, 'c' closing, 'a' apostrophe or ignorable, for the mark at i (family aside)."""
    ch = text[i]
    left, right = _flanks(text, i)
    if ch in "\"":
        if _INCH.match(text, i - 1 if i else 0) and i:
            return "a"  # '5" screen', 'a 12"-wide dish': an inch sign after a number, no quotation mark
        if left and not right:
            return "o"
        if right and not left:
            return "c"
        return "?"
    if ch in _D_OPEN:
        return "c" if right and not left and ch != "«" else "o"
    if ch in _D_CLOSE:
        return "o" if left and not right and ch != "»" else "c"
    # Single marks: apostrophes first.
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if before.isalnum() and after.isalnum():
        return "a"  # don't, Blair's, rock'n'roll
    if ch in "'’‘" and after.isdigit():
        return "a"  # '90s
    if left and not right:
        if ch in "'’" and _ELISIONS.match(text, i + 1):
            return "a"  # 'em, 'n', 'cause
        if ch == "’":
            return "a"
        return "o"
    if right and not left:
        if ch in _S_OPEN:
            return "a"
        # 'Blairs' house' closes only when a single quotation is open.
        return "c" if single_open else "a"
    return "a"


def _pair_marks(text: str, paragraphs: list[tuple[int, int]]) -> list[_Raw]:
    """Top-level quotations (with their nested ones inside) by a stack scan over the paragraphs."""
    raws: list[_Raw] = []
    marks = [m.start() for m in _ANY_MARK.finditer(text)]
    starts = [p[0] for p in paragraphs]
    by_para: list[list[int]] = [[] for _ in paragraphs]
    for pos in marks:
        k = bisect.bisect_right(starts, pos) - 1
        if k >= 0 and pos < paragraphs[k][1]:
            by_para[k].append(pos)
    carried: tuple[int, bool] | None = None  # (start, single) of a quotation open at the last paragraph end
    for k, (p_start, p_end) in enumerate(paragraphs):
        stack: list[tuple[int, bool]] = []  # (position, single)
        skip = -1
        if carried is not None:
            first = by_para[k][0] if by_para[k] else -1
            single = carried[1]
            reopen = first == p_start and _direction(text, first, False) in "o?" and (text[first] in "'‘‚‛‹") == single
            if reopen:
                stack.append(carried)
                skip = first
            elif not single and _closes_later(text, paragraphs, by_para, k):
                stack.append(carried)
            else:
                if not single:
                    raws.append(_Raw(carried[0], paragraphs[k - 1][1], False, False))
            carried = None
        for pos in by_para[k]:
            if pos == skip:
                continue
            ch = text[pos]
            is_single = ch in "'‘’‚‛‹›"
            single_open = any(s for _, s in stack)
            d = _direction(text, pos, single_open)
            if d == "a":
                continue
            if not is_single:
                doubles = [j for j, (_, s) in enumerate(stack) if not s]
                if d == "?":
                    d = "c" if doubles else "o"
                if d == "o":
                    if stack and not stack[0][1] and _continues(text, pos, p_start):
                        continue  # '... weeks. "We are ...': a merged paragraph reopening the quotation
                    if len(stack) < _MAX_DEPTH:  # deeper 'nesting' is stray marks; keeps the scan linear
                        stack.append((pos, False))
                    continue
                if not doubles:
                    continue  # a stray closing mark (or inch sign)
                j = doubles[-1]
                opened = stack[j][0]
                del stack[j:]
                if not stack:
                    raws.append(_Raw(opened, pos + 1, True, False))
                continue
            singles = [j for j, (_, s) in enumerate(stack) if s]
            if d == "o":
                if len(stack) < _MAX_DEPTH:
                    stack.append((pos, True))
                continue
            if not singles:
                continue
            j = singles[-1]
            if any(not s for _, s in stack[j + 1 :]):
                continue  # an inner double quotation is still open: this is an apostrophe
            if text[pos - 1 : pos] == "s" and re.match(r"\s[a-z]", text[pos + 1 : pos + 3]) and any(
                later > pos and text[later] == ch and _direction(text, later, True) == "c"
                for later in by_para[k][bisect.bisect_right(by_para[k], pos) :][:8]
            ):
                continue  # "'the players' biggest mistake'": a plural possessive, the close comes later
            opened = stack[j][0]
            del stack[j:]
            if not stack:
                raws.append(_Raw(opened, pos + 1, True, True))
        if stack:
            bottom = stack[0]
            if not bottom[1] or _reopens_single(text, paragraphs, by_para, k):
                carried = bottom
    if carried is not None and not carried[1]:
        raws.append(_Raw(carried[0], paragraphs[-1][1], False, False))
    raws.sort(key=lambda r: r.start)
    return raws


def _continues(text: str, pos: int, p_start: int) -> bool:
    """True when an opening mark inside an open quotation follows a sentence end: the quotation
    goes on ('... 26 weeks. "We are going ...'), it does not nest."""
    j = pos - 1
    while j >= p_start and text[j] == " ":
        j -= 1
    return j >= p_start and j < pos - 1 and text[j] in ".!?…:"


def _reopens_single(text: str, paragraphs: list[tuple[int, int]], by_para: list[list[int]], k: int) -> bool:
    """A single-quoted quotation continues only when the next paragraph reopens it."""
    if k + 1 >= len(paragraphs) or not by_para[k + 1]:
        return False
    first = by_para[k + 1][0]
    return first == paragraphs[k + 1][0] and text[first] in "'‘"


_MAX_DEPTH = 4
"""Quotation marks open at once at most (a quotation, one inside it, one inside that, ...)."""

_MAX_PARAGRAPHS = 12
"""Paragraphs a quotation may run on without reopening marks before its closing mark."""


def _closes_later(text: str, paragraphs: list[tuple[int, int]], by_para: list[list[int]], k: int) -> bool:
    """True when a quotation left open before paragraph k runs on without reopening marks and
    closes within a few paragraphs (the seed's convention); nested pairs may come on the way."""
    depth = 1
    for j in range(k, min(len(paragraphs), k + _MAX_PARAGRAPHS)):
        p_start = paragraphs[j][0]
        for pos in by_para[j]:
            if text[pos] in "'‘’‚‛‹›":
                continue
            d = _direction(text, pos, False)
            if d == "?":
                d = "c" if depth > 1 else ("o" if pos == p_start else "c")
            if d == "o":
                if pos == p_start and depth == 1:
                    return False  # a new quotation starts a paragraph: the old one never closed
                depth += 1
            elif d == "c":
                depth -= 1
                if depth == 0:
                    return True
        if depth > 1:
            return False
    return False


_QUOTED_WORD = re.compile(r"[\w'’\-]*[^\W\d_][\w'’\-]*")
_SMALL_WORDS = frozenset("of the a an and in on to for at by with from de la le du or vs".split())


def _is_quotation(text: str, raw: _Raw) -> bool:
    """False for scare quotes (one or two words) and quoted titles (capitalised words, no sentence)."""
    inner = text[raw.start + 1 : raw.end - 1 if raw.closed else raw.end]
    words = _QUOTED_WORD.findall(inner)
    if len(words) <= 2:
        # '"It's incredible," the youngster said': a short utterance is a quotation when a verb of speaking follows.
        return bool(words) and inner.rstrip()[-1:] in (",", "!", "?") and _SPOKEN_AFTER.match(text, raw.end) is not None
    if len(words) <= 10 and not re.search(r"[.;:!?]\s+\S", inner.strip()):
        capitals = [w for w in words if w.lower() not in _SMALL_WORDS]
        if capitals and all(w[0].isupper() or w[0].isdigit() for w in capitals) and words[0][0].isupper():
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Attribution


@dataclass(frozen=True)
class _Ref:
    """The subject of a speech verb: a name, a pronoun, a definite role ('the minister') or unnamed."""

    kind: str  # name | pronoun | role | unnamed
    text: str
    start: int
    end: int
    role: str | None = None
    gender: str = ""


@dataclass
class _Person:
    """One person or organisation named in the article."""

    name: str
    first: int
    surname: str
    gender: str = ""
    person: bool = False
    roles: list[tuple[int, str]] | None = None
    organisation: bool = False
    """The article shows the name is an organisation's ('brokerage Merrill Lynch'): never a person."""


class _Article:
    """The analysis of one text: marks, masked frame, sentences, names, speech verbs."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.paragraphs = _paragraphs(text)
        self.raws = _pair_marks(text, self.paragraphs)
        self.raw_starts = [r.start for r in self.raws]
        self.paragraph_starts = [p[0] for p in self.paragraphs]
        self.frame = self._mask()
        self.sentences = self._sentences()
        self.sent_starts = [s for s, _ in self.sentences]
        self.verbs = [
            (m.start(), m.end())
            for m in _VERB_RE.finditer(self.frame)
            if not _DETERMINER_BEFORE.search(self.frame, max(0, m.start() - 12), m.start())
            and not _POSSESSIVE_BEFORE.search(self.frame, max(0, m.start() - 30), m.start())
        ]  # 'if the claims were true', 'his comments', "Sir Ian's comments": nouns, not verbs
        self.verb_starts = [s for s, _ in self.verbs]
        self._build_names()
        self.found: dict[int, tuple[_Ref | None, Speaker | None]] = {}
        self.previous: list[tuple[int, _Ref | None, Speaker | None]] = []
        self.role_table: list[tuple[int, _Person, list[set[str]]]] | None = None

    # -- frame ---------------------------------------------------------------------------------

    def _mask(self) -> str:
        """The text with every quotation's inside replaced by 'x' (newlines and a final stop kept),
        so names, verbs and sentence ends are only found in the narrative around quotations."""
        pieces = []
        last = 0
        text = self.text
        for raw in self.raws:
            inner_start = raw.start + 1
            inner_end = raw.end - 1 if raw.closed else raw.end
            if inner_start < last:
                continue
            pieces.append(text[last:inner_start])
            inner = text[inner_start:inner_end]
            stop = inner.rstrip()[-1:] if raw.closed else ""
            filled = re.sub(r"[^\n]", "x", inner)
            if stop in (".", "!", "?", "…") and filled:
                cut = len(inner.rstrip()) - 1
                filled = filled[:cut] + stop + filled[cut + 1 :]
            pieces.append(filled)
            last = inner_end
        pieces.append(text[last:])
        frame = "".join(pieces)
        assert len(frame) == len(text)
        return frame

    def _sentences(self) -> list[tuple[int, int]]:
        """Sentence spans of the frame, within paragraphs (a quotation's inside is never cut)."""
        spans = []
        frame = self.frame
        for p_start, p_end in self.paragraphs:
            start = p_start
            for m in _SENT_END.finditer(frame, p_start, p_end):
                end = m.end()
                nxt = _NEXT_CHAR.match(frame, end, p_end)
                if nxt is None:
                    continue
                c = nxt.group(1)
                if not (c.isupper() or c.isdigit() or c in "\"“‘'«("):
                    continue
                word = re.search(r"([\w]+)[.!?…]*[\"”’'»)\]]*$", frame[max(start, m.start() - 12) : m.end()])
                if word and frame[m.start()] == "." and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
                    continue
                spans.append((start, end))
                start = nxt.start(1)
            spans.append((start, p_end))
        return spans

    def _sentence_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.sent_starts, pos) - 1)

    # -- names ---------------------------------------------------------------------------------

    def _build_names(self) -> None:
        """Every capitalised run of the frame: full names by surname, mentions in order."""
        self.people: dict[str, _Person] = {}
        self.by_surname: dict[str, list[_Person]] = {}
        self.mentions: list[tuple[int, int, _Person, bool]] = []  # start, end, person, possessive
        self.starts_of: dict[int, list[int]] = {}  # id(person) -> starts of its mentions, in order
        alone: set[str] = set()
        runs = []
        for m in _capital_runs(self.frame):
            run = m.group()
            if " " not in run:
                # Most runs are one capitalised word ('The', 'But', 'London'): kept aside, they only
                # matter as a surname of a full name (found below) or as evidence of one.
                alone.add(run.rstrip("."))
                runs.append((m, None, m.start()))
                continue
            tokens, offset = self._name_tokens(run, m.start())
            if not tokens:
                continue
            runs.append((m, tokens, offset))
            if len(tokens) == 1:
                alone.add(tokens[0].rstrip("."))
        # A publication's name ('Rolling Stone magazine') is no person: its last word must not take
        # the surname of one ('Stone expressed the hope ...' is Oliver Stone).
        runs = [r for r in runs if r[1] is None or not _PUBLICATION_AFTER.match(self.frame, r[0].end())]
        # Nor is a name after a preposition and 'the' ('writing in the Daily Telegraph, the prime minister conceded'),
        # unless it opens with a title or a first name.
        runs = [r for r in runs if r[1] is None or not self._after_the(r[0].start(), r[1])]
        # A nickname in marks between first name and surname ('Antonio "LA" Reid', 'Marion "Suge" Knight') is one
        # person, named so; the masked frame breaks it into two runs, so the text is read for it.
        for nick in _NICKNAMED.finditer(self.text):
            if nick.group(1) in _FIRST_NAMES:
                person = self._register(nick.group(), nick.start(), nick.group(2))
                person.person = True
        # Full names first, so that a surname before its full name ('Howard ... Michael Howard') finds it.
        for m, tokens, offset in runs:
            if tokens is not None:
                words = [t for t in tokens if t not in _PERSON_TITLES]
                if len(words) >= 2 and _looks_personal(tuple(words)) and not (len(words) == 2 and words[0] in _SURNAME_PARTICLES):
                    self._register(" ".join(w for w in tokens if w not in _DROPPED_TITLES), offset, words[-1])
        for m, tokens, offset in runs:
            if tokens is None:
                if m.group() not in self.by_surname:
                    continue
                tokens = [m.group()]
            words = [t for t in tokens if t not in _PERSON_TITLES]
            if not words:
                continue
            titled = tokens[0] in _PERSON_TITLES
            start = offset
            end = start + len(" ".join(tokens))
            follow = self.frame[end : end + 2]
            possessive = follow in ("'s", "’s") or (follow[:1] in ("'", "’") and self.frame[end - 1] == "s")
            if len(words) >= 2 and _looks_personal(tuple(words)) and not (len(words) == 2 and words[0] in _SURNAME_PARTICLES):
                person = self.people[" ".join(w for w in tokens if w not in _DROPPED_TITLES)]
            else:
                person = self._lookup(words[-1], " ".join(words), start, tokens[0] if titled else "")
                if person is None:
                    if len(words) == 1 and not titled:
                        continue
                    name = " ".join(tokens)
                    person = self._register(name, start, words[-1])
            if not person.person and (offset > m.start() or _ROLE_BEFORE.search(self.frame, max(0, start - 30), start)):
                # 'chief executive Meg Whitman', 'Foreign Secretary Jack Straw': a role makes a person
                cut = m.group()[: offset - m.start()].split()
                if len(words) >= 2 and (offset == m.start() or any(t.lower() in _ROLE_HEADS for t in cut)) and self._looks_personal(words):
                    person.person = True
            if not person.person and len(words) >= 2 and _looks_personal(tuple(words)):
                # 'Fidelis Nanga, a journalist ..., said', 'said Helena Kennedy': a speaker or a
                # name with a role is a person.
                if _SPEAKS_AFTER.match(self.frame, end) or _SPEAKS_BEFORE.search(self.frame, max(0, start - 40), start):
                    person.person = True
            if titled:
                person.person = True
                gender = _PERSON_TITLES[tokens[0]]
                if gender and not person.gender:
                    person.gender = gender
            self.mentions.append((start, end, person, possessive))
            self.starts_of.setdefault(id(person), []).append(start)
        for person in self.people.values():
            first = person.name.split()[0]
            if not person.gender and (person.person or self._looks_personal(person.name.split())):
                if first in _FEMALE_NAMES:
                    person.gender = "f"
                elif first in _MALE_NAMES:
                    person.gender = "m"
            if person.person:
                continue
            parts = person.name.split()
            if len(parts) >= 2 and self._looks_personal(parts) and (first in _FIRST_NAMES or person.surname in alone):
                person.person = True
        self._organisations()
        self.mention_starts = [s for s, _, _, _ in self.mentions]
        self.quoted_names: dict[str, str] = {}
        for raw in self.raws:
            for m in _capital_runs(self.text, raw.start + 1, raw.end):
                tokens = m.group().split(" ")
                if len(tokens) >= 2 and tokens[0] in _FIRST_NAMES and self._looks_personal(tokens):
                    self.quoted_names.setdefault(tokens[-1], m.group())

    def _organisations(self) -> None:
        """Names the article itself shows to be organisations are no people, whatever their words look like: 'brokerage
        Merrill Lynch', 'marketing manager at Snappy Snaps', 'the London offices of Merrill Lynch' (unless someone
        calls them Mr or Ms)."""
        titled: set[int] = set()
        evidence: set[int] = set()
        for start, end, person, _ in self.mentions:
            if self.frame[max(0, start - 5) : start].rstrip().split()[-1:] and self.frame[max(0, start - 6) : start].split()[-1] in _PERSON_TITLES:
                titled.add(id(person))
            if self.frame[start:end].split()[0] in _PERSON_TITLES:
                titled.add(id(person))
            if _ORGANISATION_BEFORE.search(self.frame, max(0, start - 40), start):
                evidence.add(id(person))
        for person in self.people.values():
            if id(person) in evidence and id(person) not in titled:
                person.person, person.organisation = False, True

    @staticmethod
    def _name_tokens(run: str, start: int) -> tuple[list[str], int]:
        """The tokens of a capitalised run after sentence words, role words and organisation words
        before a name ('But', 'On Monday', 'Foreign Secretary', 'Audit Committee') and post-nominals
        ('MP') are dropped, and the offset of the first kept token."""
        tokens = run.split(" ")
        offsets = []
        pos = start
        for t in tokens:
            offsets.append(pos)
            pos += len(t) + 1
        while len(tokens) > 1 and tokens[-1] in _POSTNOMINALS:
            tokens, offsets = tokens[:-1], offsets[:-1]
        keep = _name_split(tokens)
        tokens, offsets = tokens[keep:], offsets[keep:]
        if not tokens:
            return [], start
        return tokens, offsets[0]

    @staticmethod
    def _looks_personal(words: list[str] | tuple[str, ...]) -> bool:
        return _looks_personal(tuple(words))

    def _register(self, name: str, start: int, surname: str) -> _Person:
        person = self.people.get(name)
        if person is None:
            person = _Person(name=name, first=start, surname=surname, roles=[])
            parts = [t for t in name.split() if t not in _PERSON_TITLES]
            if len(parts) >= 2 and self._looks_personal(parts):
                person.gender = "f" if parts[0] in _FEMALE_NAMES else "m" if parts[0] in _MALE_NAMES else ""
            self.people[name] = person
            self.by_surname.setdefault(surname, []).append(person)
        return person

    def _lookup(self, surname: str, given: str, pos: int, title: str = "") -> _Person | None:
        """The person a surname (or single name) refers to: the most recent full name before `pos`
        with that surname, else the first one after it. 'Sir John' is 'Sir John Stevens'."""
        if title in ("Sir", "Dame", "Lady", "Lord") and " " not in given:
            named = [p for p in self.people.values() if p.name.startswith(f"{title} {given} ")]
            if named:
                return max(named, key=lambda p: self._last_mention_before(p, pos))
        people = self.by_surname.get(surname)
        if not people and title and surname not in _FIRST_NAMES:
            # 'Mr Kim' for 'Kim Yungmin': family name first ('Mr Howard' is no 'Howard Flight')
            people = [p for p in self.people.values() if p.name.split()[0] == surname and len(p.name.split()) == 2]
        if not people and title and len(surname) >= 5:
            # 'Mr Barot' in a story about Jacques Barrot, 'Ms Abbott' after 'Diane Abbot': a surname the story spells
            # two ways. Only when no one else's surname is that close.
            close = {id(p): p for name, found in self.by_surname.items() if name != surname and _one_edit(name, surname)
                     for p in found if len(p.name.split()) >= 2 and self._looks_personal(p.name.split())}
            people = list(close.values()) if len(close) == 1 else []
        if not people:
            return None
        if given in self.people:
            return self.people[given]
        gender = _PERSON_TITLES.get(title, "")
        if gender:
            people = [p for p in people if p.gender in ("", gender)] or people  # 'Mr Jackson' is not Katherine
        if title in _PLAIN_TITLES:
            # 'Mr Blair' is not Sir Ian Blair: a knight or a peer is 'Sir Ian', 'Lord X', never 'Mr'.
            people = [p for p in people if p.name.split()[0] not in _HONOURS] or people
        before = [p for p in people if p.first <= pos]
        if before:
            return max(before, key=lambda p: self._last_mention_before(p, pos))
        return min(people, key=lambda p: p.first)

    def _last_mention_before(self, person: _Person, pos: int) -> int:
        starts = self.starts_of.get(id(person), ())
        i = bisect.bisect_left(starts, pos)
        return starts[i - 1] if i > 0 else person.first

    def _mention_at(self, start: int, end: int) -> _Person | None:
        i = bisect.bisect_left(self.mention_starts, start)
        while i < len(self.mentions) and self.mentions[i][0] < end:
            s, e, person, _ = self.mentions[i]
            if e <= end + 1:
                return person
            i += 1
        return None

    # -- quotations ----------------------------------------------------------------------------

    def quotations(self) -> tuple[Quotation, ...]:
        found: list[tuple[_Raw, Speaker | None]] = []
        headings = []
        previous = self.previous
        for raw in self.raws:
            if not _is_quotation(self.text, raw):
                continue
            if self._is_heading(raw) and not self._in_title(raw.start):
                headings.append(len(found))
                found.append((raw, None))
                previous.append((raw.start, None, None))
                continue
            ref, speaker = self._attribute(raw, previous)
            previous.append((raw.start, ref, speaker))
            found.append((raw, speaker))
        for i in headings:
            found[i] = (found[i][0], self._section_speaker(found, i) or self._pull_quote(found[i][0]))
        return tuple(Quotation(raw.start, raw.end, _tidied(speaker)) for raw, speaker in found)

    def _section_speaker(self, found: list[tuple[_Raw, Speaker | None]], i: int) -> Speaker | None:
        """A sub-heading that is a quotation (a pull quote) speaks for its section: the one person
        quoted in the quotations below it, up to the next heading. Two people there: nobody."""
        speakers = []
        for raw, speaker in found[i + 1 :]:
            if self._is_heading(raw):
                break
            if speaker is not None:
                speakers.append(speaker)
        names = {s.name for s in speakers}
        return speakers[0] if len(names) == 1 else None

    def _attribute(self, raw: _Raw, previous: list[tuple[int, _Ref | None, Speaker | None]]) -> tuple[_Ref | None, Speaker | None]:
        """Find the attributing subject of a quotation and turn it into a speaker."""
        ref = self._attribution(raw, previous)
        if ref is None:
            return None, None
        if isinstance(ref, Speaker):
            return None, ref
        return ref, self._speaker(ref)

    def _attribution(self, raw: _Raw, previous: list) -> _Ref | Speaker | None:
        frame = self.frame
        first_sent = self._sentence_of(raw.start)
        last_sent = self._sentence_of(max(raw.start, raw.end - 1))
        s_start = self.sentences[first_sent][0]
        s_end = self.sentences[last_sent][1]
        if self._is_heading(raw):
            return self._pull_quote(raw)
        # 1. Right after the quotation: '," said X' / '," X said' / '", according to X'.
        after = self._after_limit(raw, s_end)
        ref = self._adjacent_after(raw.end, after)
        if ref is not None:
            return ref
        # 2. A speech verb or 'according to' before it in its sentence, or a name alone before it
        # ('Comair "deeply regrets ..."', 'Tony Blair: "..."').
        ref = self._verb_before(s_start, raw.start)
        if ref is None and not self._in_title(raw.start):
            ref = self._bare_name_before(s_start, raw.start)
        if ref is not None:
            return ref
        lead_in = frame[s_start : raw.start].rstrip()
        if lead_in.endswith(":"):
            # 'He is prepared to go this far: "..."' speaks for its subject; 'The proposed question
            # is: "..."' for nobody, and nothing before it counts.
            subject = self._sentence_subject(s_start, raw.start)
            return subject if subject is not None and subject.kind in ("name", "pronoun") else None
        # 2b. A whole short sentence after a quotation ending with a full stop: '"..." Mr X said.'
        if raw.closed and frame[raw.end - 2 : raw.end - 1] in (".", "!", "?", "…") and last_sent + 1 < len(self.sentences):
            nxt_start, nxt_end = self.sentences[last_sent + 1]
            if self._same_paragraph(raw.end, nxt_start):
                ref = self._adjacent_after(nxt_start, nxt_end, terminal=True)
                if ref is not None:
                    return ref
        # 3. A speech verb after it in its sentence ('"..." was wrong, he said').
        ref = self._verb_after(raw.end, after)
        if ref is not None:
            return ref
        # 4. A lead-in or the speech this quotation continues, one or two sentences back.
        return self._inherit(raw, first_sent, previous)

    def _in_title(self, pos: int) -> bool:
        """True inside a title line: the first paragraph, short, without a final stop, followed by
        a blank line (the BBC files and the seed start so). Headlines quote claims, not speech."""
        if not self.paragraphs or pos >= self.paragraphs[0][1]:
            return False
        p_start, p_end = self.paragraphs[0]
        line = self.text[p_start:p_end]
        return len(line.split()) <= 20 and line[-1] not in ".!?:" and re.match(r"[ \t]*\r?\n[ \t]*\r?\n", self.text[p_end:]) is not None

    def _same_paragraph(self, a: int, b: int) -> bool:
        return "\n" not in self.text[a:b]

    def _after_limit(self, raw: _Raw, s_end: int) -> int:
        """The narrative after a quotation that may attribute it: up to the next quotation unless
        only 'and'/'or' stands between them ('"A" and "B", he said')."""
        i = bisect.bisect_left(self.raw_starts, raw.end)
        while i < len(self.raws) and self.raws[i].start < s_end:
            gap = self.text[raw.end : self.raws[i].start]
            if not re.fullmatch(r"[\s,;]*(?:and|or|but)?[\s,;]*", gap):
                return self.raws[i].start
            i += 1
        return s_end

    def _is_heading(self, raw: _Raw) -> bool:
        """A paragraph that is only this quotation, without a final stop: a heading or pull quote."""
        k = self._paragraph_of(raw.start)
        p_start, p_end = self.paragraphs[k]
        if not (p_start == raw.start and p_end == raw.end and raw.closed):
            return False
        inner = self.text[raw.start + 1 : raw.end - 1].rstrip()
        return bool(inner) and inner[-1] not in ".!?…,;:" and len(inner.split()) <= 25

    def _paragraph_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.paragraph_starts, pos) - 1)

    def _pull_quote(self, raw: _Raw) -> Speaker | None:
        """A heading quotation takes the speaker of a later quotation holding most of its words."""
        words = _content_words(self.text[raw.start : raw.end])
        if len(words) < 3:
            return None
        best: tuple[float, _Raw] | None = None
        first = bisect.bisect_left(self.raw_starts, raw.end)
        for other in self.raws[first : first + 40]:  # the article's next quotations, not all of a huge file
            if not _is_quotation(self.text, other):
                continue
            if self._is_heading(other):
                continue
            found = _content_words(self.text[other.start : other.end])
            share = len(words & found) / len(words)
            if share >= 0.75 and (best is None or share > best[0]):
                best = (share, other)
        if best is None:
            return None
        other = best[1]
        if other.start in self.found:
            return self.found[other.start][1]
        ref, speaker = self._attribute(other, [])
        self.found[other.start] = (ref, speaker)
        return speaker

    # -- verb clauses --------------------------------------------------------------------------

    def _verbs_between(self, lo: int, hi: int) -> list[tuple[int, int]]:
        i = bisect.bisect_left(self.verb_starts, lo)
        out = []
        while i < len(self.verbs) and self.verbs[i][0] < hi:
            if self.verbs[i][1] <= hi:
                out.append(self.verbs[i])
            i += 1
        return out

    def _adjacent_after(self, pos: int, limit: int, terminal: bool = False) -> _Ref | None:
        """'," said X' or '," X said' or '", according to X' right after a closing mark (or, with
        `terminal`, a whole short sentence 'X said.' after a quotation ending with a full stop)."""
        frame = self.frame
        verbs = self._verbs_between(pos, min(limit, pos + 200))
        if not verbs:
            return None
        v_start, v_end = verbs[0]
        verb = frame[v_start:v_end]
        if verb in _PARTICIPLES and not re.search(r"\b(?:seen|heard|shown|filmed|caught)\s+$", frame[pos:v_start]):
            return None
        gap = frame[pos:v_start]
        if not re.fullmatch(r"[\s,;:—–\-]*(?:[^\s,.;:!?\"“”'‘’][^.;:!?\"“”]*?)?\s*", gap):
            return None
        gap_body = gap.strip(" ,;:—–-\t")
        gap_body = re.sub(r"\s+(?:is|was|are|were|can be|could be)\s+(?:seen|heard|shown|filmed|caught)$", "", gap_body)
        if gap_body and (len(gap_body.split()) > 12 or _NOT_SUBJECT_START.match(gap_body)):
            return None  # 'for broadband, said X': no subject here; the verb is read later
        if terminal:
            # The sentence after the quotation must be only 'X said.' / 'said X.' / 'X told the BBC.'
            tail = frame[v_end:limit]
            if verb in ("told", "tells", "asked", "asks"):
                if not re.fullmatch(r"\s*(?:\S+\s+){0,5}?\S*[.!?]?[\"”’]*\s*", tail):
                    return None
            elif gap_body:
                if not re.fullmatch(_TERMINAL_TAIL, tail):
                    return None
            elif not re.fullmatch(r"\s*[^.;!?]{0,60}[.!?]?[\"”’]*\s*", tail):
                return None
        if verb.lower().startswith("according"):
            return None if gap_body else self._subject_after(v_end, limit)
        if not gap_body:
            if _OBJECT_AFTER_VERB.match(frame, v_end):
                return None  # '", called for a legal system': the verb's object follows, its subject came before
            return self._subject_after(v_end, limit)
        return self._subject_before(pos, v_start, strict=True)

    def _verb_subject(self, lo: int, v_start: int, v_end: int, hi: int) -> _Ref:
        """The subject of the speech verb at v_start within [lo, hi): 'X said', 'said X.',
        'according to X', 'X welcomed it, adding', 'X ... and told'; unnamed when unreadable."""
        frame = self.frame
        verb = frame[v_start:v_end]
        unnamed = _Ref("unnamed", "", v_start, v_start)
        if verb.lower().startswith("according"):
            return self._subject_after(v_end, hi) or unnamed
        if verb in _PARTICIPLES:
            # '..., he said, adding that ...': the subject of the speech verb before it.
            earlier = [v for v in self._verbs_between(lo, v_start) if frame[v[0] : v[1]] not in _PARTICIPLES]
            if earlier:
                return self._verb_subject(lo, earlier[-1][0], earlier[-1][1], v_start)
            return self._sentence_subject(lo, v_start, loose=True) or unnamed
        before = frame[lo:v_start].rstrip()
        if (not before or before[-1] in ",\"”’»x") and verb not in ("told", "tells", "tell"):
            backward = self._subject_before(lo, v_start, strict=False) if before.endswith(",") else None
            ref = self._subject_after(v_end, hi, terminal=True)
            if backward is not None and backward.kind == "name" and not (
                ref is not None and ref.kind == "name" and verb.lower() not in _STANCE_VERBS
                and self._personal(ref.text) and not self._personal(backward.text)
            ):
                # 'Lord Hanningfield, leader of Essex County Council, said'; but in 'The sale has destroyed Yukos,
                # once the owner of Yuganskneftegas, said founder Mikhail Khodorkovsky.' the person after speaks.
                return backward
            if ref is not None:
                return ref
        ref = self._subject_before(lo, v_start, strict=False)
        if ref is None and re.search(r"\b(?:and|but)\s*(?:(?:" + _ADVERBS + r")\s+)*$", before + " "):
            ref = self._sentence_subject(lo, v_start)
        return ref or unnamed

    def _verb_before(self, s_start: int, q_start: int) -> _Ref | None:
        """The last speech verb (or 'according to') before the quotation in its sentence, and its subject."""
        verbs = self._verbs_between(s_start, q_start)
        # A verb inside a relative clause ('Ms Hassan, who he described as ...') speaks of someone; the sentence's
        # own verb of speaking before it governs the quotation ('A spokesman later said ... that he was "...").
        main = [v for v in verbs if not _RELATIVE_SUBJECT.search(self.frame, max(s_start, v[0] - 16), v[0])]
        if main and len(main) < len(verbs):
            verbs = main
        if not verbs:
            return None
        v_start, v_end = verbs[-1]
        return self._verb_subject(s_start, v_start, v_end, q_start)

    def _bare_name_before(self, s_start: int, q_start: int) -> _Ref | None:
        head = self.frame[s_start:q_start]
        # A list of reactions after a match: '- Bolton boss Sam Allardyce "I am bitterly disappointed ..."'.
        m = re.fullmatch(r"\s*[-–—•*]\s+([^,;:.!?\"“”]{2,80}?)\s*:?\s*", head)
        if m is None:
            m = re.fullmatch(r"\s*([^,;:.!?\"“”]{2,80}?)\s*:?\s*", head)
            if m is None:
                return None
            ref = self._classify(m.group(1), s_start + m.start(1), appositive=None, whole=True)
            return ref if ref is not None and ref.kind == "name" else None
        ref = self._classify(m.group(1), s_start + m.start(1), appositive=None)
        if ref is None or ref.kind != "name":
            return None
        before = self.frame[s_start + m.start(1) : ref.start]
        return ref if not before.strip() or _has_role_head(before) else None

    def _verb_after(self, q_end: int, limit: int) -> _Ref | None:
        """The first speech verb after the quotation in its sentence ('"..." was wrong, he said')."""
        for v_start, v_end in self._verbs_between(q_end, limit):
            if self.frame[v_start:v_end] in _PARTICIPLES:
                continue
            return self._verb_subject(q_end, v_start, v_end, limit)
        return None

    def _sentence_subject(self, s_start: int, limit: int, loose: bool = False) -> _Ref | None:
        """The subject that starts a sentence, for 'X welcomed the move, adding: "..."' or a
        lead-in 'Mr Dean is confident though:': its opening pronoun ('His message was:' too), an
        earlier speech verb's subject, or the person it opens on."""
        head = self.frame[s_start:limit]
        m = _OPENING_PRONOUN.match(head)
        if m:
            return self._classify(m.group("p"), s_start + m.start("p"), appositive=None)
        m = re.match(r"\s*(?P<p>His|Her)\s+(?:\w+\s+)?(?:message|view|verdict|advice|reply|response|answer|comment|conclusion|warning|argument|explanation|assessment|words|plea|prediction)\b", head)
        if m:
            pronoun = "he" if m.group("p") == "His" else "she"
            return _Ref("pronoun", pronoun, s_start + m.start("p"), s_start + m.end("p"), None, "m" if pronoun == "he" else "f")
        # 'The Tory leader said ..., but admitted it was "..."': an earlier speech verb's subject.
        for v_start, v_end in self._verbs_between(s_start, limit):
            if self.frame[v_start:v_end] in _PARTICIPLES or self.frame[v_start:v_end].lower().startswith("according"):
                continue
            ref = self._subject_before(s_start, v_start, strict=False)
            if ref is not None and ref.kind in ("name", "pronoun", "role"):
                return ref
            break
        introduced = self._introduced(s_start, limit)
        if introduced is not None or not loose:
            return introduced
        # For a participle ('The documentary showed Mr Nattrass ... telling the meeting:'): the
        # first person named outside a prepositional phrase.
        for s, e, person, possessive in self._mentions_in(s_start, limit):
            if possessive or not person.person:
                continue
            if re.search(r"\b(?:by|to|with|from|of|for|at|on|in|about|against|than|and)\s+(?:the\s+)?(?:\S+\s+){0,3}$", self.frame[s_start:s]):
                continue
            return _Ref("name", self.frame[s:e], s, e, None, person.gender)
        return None

    # -- noun phrases --------------------------------------------------------------------------

    def _subject_before(self, lo: int, v_start: int, strict: bool) -> _Ref | None:
        """The subject of a speech verb, read backwards from the verb: 'Mr Howard said',
        'Tofig Zulfugarov, former Azerbaijani Foreign Minister, commented', 'the Tory leader has
        said', 'X, who ... said'. With `strict`, everything between lo and the verb must be it."""
        frame = self.frame
        s = frame[max(lo, v_start - 240) : v_start]
        base = v_start - len(s)
        adv = _ADVERB_TAIL.search(s)
        if adv:
            s = s[: adv.start()]
        paren = re.search(r"\s*\([^()]{1,40}\)\s*$", s)
        if paren:
            s = s[: paren.start()]  # 'The British Chambers of Commerce (BCC) said'
        dash = re.search(r"\s[-–—]\s[^-–—]{1,160}\s[-–—]\s*$", s)
        if dash:
            s = s[: dash.start()]  # 'Alan Beith - who chairs the committee - said'
        if self.frame.startswith("quoted as saying", v_start):
            s = re.sub(r"\s+(?:is|was|has been|had been|were|are)\s*$", "", s)  # 'he is quoted as saying'
        s_stripped = s.rstrip()
        relative = _RELATIVE_BEFORE_VERB.search(s_stripped)
        if relative:
            # 'The Oscar-nominated actor, whose films include ... Star Wars: The Phantom Menace, said': the subject is
            # before the relative clause, whatever names the clause holds.
            return self._relative(lo, base + relative.start("who"))
        # Appositive: 'NAME, ROLE, said' or 'ROLE, NAME, said' or 'NAME, who ..., said'.
        if s_stripped.endswith(","):
            body = s_stripped[:-1]
            comma = body.rfind(",")
            # 'Barbara Follet, one of the so-called "Blair Babes" elected in 1997, told': a term in marks inside the
            # description ends nothing.
            cut = _last_boundary(_SCARE_QUOTE.sub(lambda g: " " + g.group(1) + " ", body), ".;:!?\"“”\n(")
            if comma > cut:
                a_text = body[comma + 1 :]
                b_text = re.sub(r"\s*\([^()]{1,40}\)", lambda g: " " * len(g.group()), body[:comma])
                b_cut = _last_boundary(b_text, ",.;:!?\"“”\n(")
                b_text_full = b_text[b_cut + 1 :]
                b_base = base + b_cut + 1
                a_base = base + comma + 1
                ref = self._appositive(b_text_full, b_base, a_text, a_base, strict)
                if (ref is None or ref.kind != "name" or not self._personal(ref.text)) and _has_role_head(b_text_full) and (
                    b_cut >= 0 and b_text[b_cut] == "," and not _has_role_head(a_text) and a_text.strip()[:1].isupper()
                ):
                    # 'Dr John E. Kelly, IBM senior vice president, Technology and Intellectual Property, said': a role in
                    # two parts; the person is named before the first.
                    before = self._subject_before(lo, b_base - 1, strict)
                    if before is not None and before.kind == "name" and self._personal(before.text):
                        return _Ref("name", before.text, before.start, before.end, before.role or _clean_role(b_text_full), before.gender)
                if (ref is None or ref.kind != "name") and b_cut >= 0 and b_text[b_cut] == "," and _AFFILIATION_START.match(b_text_full):
                    # 'Richard Doherty, from Panasonic's Hollywood Laboratories, one of the pioneers of Blu-ray, told':
                    # two descriptions after the name; the person is named before the first.
                    before = self._subject_before(lo, b_base - 1, strict)
                    if before is not None and before.kind == "name" and self._personal(before.text):
                        return before
                if (ref is not None and ref.kind == "name" and " " not in ref.text and not self._personal(ref.text)
                        and _has_role_head(b_text_full) and b_cut >= 0 and b_text[b_cut] == ","):
                    # 'Mr Johnson, MP for Henley-on-Thames, Oxfordshire, said': a place ends the role; the person
                    # is named before it.
                    before = self._subject_before(lo, b_base - 1, strict)
                    if before is not None and before.kind == "name":
                        return _Ref("name", before.text, before.start, before.end, before.role or _clean_role(b_text_full), before.gender)
                return ref
            s_stripped = body  # 'Peter Ainsworth MP, said': a lone comma
        # A pronoun right before the verb is its subject ('Asked whether ..., she said').
        pm = re.search(r"(?:^|\s)(he|she|He|She|they|They|it|It|we|We|I)\s*$", s_stripped)
        if pm:
            return self._classify(pm.group(1), base + pm.start(1), appositive=None)
        # 'The feminist writer and broadcaster said': 'and' inside one noun phrase.
        cm = _COORDINATED_NP.search(s_stripped)
        if cm and not _CLAUSE_WORDS.search(cm.group(1)):
            return self._classify(cm.group(1), base + cm.start(1), appositive=None)
        # Plain: the phrase after the last boundary.
        cut = _last_boundary(s_stripped, ",.;:!?\"“”\n()")
        phrase = s_stripped[cut + 1 :]
        p_base = base + cut + 1
        if cut >= 0 and s_stripped[cut] in "\"“”" and _PREPOSITION_FIRST.match(phrase) and not re.search(r"\b(?:and|but|or)\s*$", phrase):
            # 'The author's sources, all unnamed "allies" of Mr Blair and Mr Brown, said': the words after the scare
            # quote are the subject's tail, and whoever they name is not the one speaking.
            return _Ref("unnamed", phrase.strip(), p_base, p_base + len(phrase))
        words = list(re.finditer(r"\S+", phrase))
        for i in range(len(words) - 1, -1, -1):
            w = words[i].group()
            if w in _BOUNDARY_WORDS:
                if strict:
                    return None
                if w in ("who", "which") and i == len(words) - 1:
                    # 'X, who said' / 'X who said': the antecedent before it.
                    return self._relative(lo, p_base + words[i].start())
                phrase = phrase[words[i].end() :]
                p_base = p_base + words[i].end()
                break
        ref = self._classify(phrase, p_base, appositive=None)
        affiliation = re.match(r"\s*(?:from|of|at|with)\s", phrase)
        if cut >= 0 and s_stripped[cut] == "," and (ref is None or ref.kind in ("role", "unnamed")) and (_has_role_head(phrase) or affiliation):
            # 'Mr Prettejohn, Lloyd's chief executive said' (the second comma left out).
            body = s_stripped[:cut]
            b_cut = _last_boundary(body, ",.;:!?\"“”\n(")
            named = self._classify(body[b_cut + 1 :], base + b_cut + 1, appositive=None, whole=True)
            if named is not None and named.kind == "name":
                role = None if affiliation else _clean_role(phrase)
                return _Ref("name", named.text, named.start, named.end, role, named.gender)
        if strict and cut >= 0 and s_stripped[: cut + 1].strip(" ,;:—–-\t\"”’'»x.!?…"):
            return None
        return ref

    def _relative(self, lo: int, who_start: int) -> _Ref | None:
        """The antecedent of 'who' in 'X, who said'."""
        s = self.frame[max(lo, who_start - 200) : who_start].rstrip().rstrip(",").rstrip()
        base = who_start - len(self.frame[max(lo, who_start - 200) : who_start])
        cut = _last_boundary(s, ",.;:!?\"“”\n()")
        return self._classify(s[cut + 1 :], base + cut + 1, appositive=None)

    def _appositive(self, b_text: str, b_base: int, a_text: str, a_base: int, strict: bool) -> _Ref | None:
        a_clean = a_text.strip()
        if re.match(r"(?:who|which|whose|speaking|writing|asked|talking|interviewed|however|though|too|meanwhile|also|in|on|at|after|when|while|like|for|of|with|as)\b", a_clean):
            # 'Mr Blair, speaking in Manchester, said': the subject is before the clause.
            return self._classify(b_text, b_base, appositive=None)
        if re.fullmatch(r"\d{1,3}", a_clean):
            return self._classify(b_text, b_base, appositive=None)
        a_ref = self._classify(a_text, a_base, appositive=None, whole=True)
        if a_ref is not None and a_ref.kind == "name":
            role = _clean_role(b_text) if _has_role_head(b_text) else None
            return _Ref("name", a_ref.text, a_ref.start, a_ref.end, role or a_ref.role, a_ref.gender)
        b_ref = self._classify(b_text, b_base, appositive=a_text)
        if b_ref is None:
            return None
        return b_ref

    def _subject_after(self, pos: int, limit: int, terminal: bool = False) -> _Ref | None:
        """The noun phrase after 'said' or 'according to': 'said Mr Smith, the firm's boss.'
        With `terminal`, only a short noun phrase ending its clause counts ('said the plan was' does not)."""
        frame = self.frame
        s = frame[pos : min(limit, pos + 240)]
        m = re.match(r"\s*", s)
        start = m.end() if m else 0
        stop = len(s)
        for ch in ",.;:!?\"“”\n()":
            j = s.find(ch, start)
            if j >= 0 and j < stop:
                # a title's full stop does not end the phrase
                if ch == "." and re.search(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|[A-Z])$", s[start:j]):
                    continue
                stop = j
        phrase = s[start:stop]
        if terminal and (len(phrase.split()) > 9 or _CLAUSE_WORDS.search(phrase)):
            return None
        wm = re.search(r"\s(?:who|which|on|in|at|during|after|before|when|while|yesterday|today|last|this)\s", " " + phrase + " ")
        if wm:
            phrase = phrase[: max(0, wm.start() - 0)]
        apposition = None
        rest = s[stop:]
        am = re.match(r",\s*([^,.;:!?\"“”\n]{2,120})", rest)
        if am:
            apposition = am.group(1)
        ref = self._classify(phrase, pos + start, appositive=apposition, leading=True)
        if ref is not None and ref.kind in ("unnamed", "role") and apposition and _has_role_head(phrase):
            # 'said RNID technology director, Guido Gybels': the name follows its role.
            a_at = pos + stop + rest.index(apposition)
            named = self._classify(apposition, a_at, appositive=None, whole=True)
            if named is not None and named.kind == "name":
                return _Ref("name", named.text, named.start, named.end, _clean_role(phrase), named.gender)
        return ref

    def _classify(self, phrase: str, base: int, appositive: str | None, whole: bool = False, leading: bool = False) -> _Ref | None:
        """What a subject phrase is: a name (with its role), a pronoun, 'the ROLE' or unnamed."""
        stripped = phrase.strip()
        if not stripped:
            return None
        offset = base + phrase.index(stripped)
        # Leading sentence words: 'But', 'On Monday', 'Speaking on Monday,'.
        lead = _LEADING_WORDS.match(stripped)
        if lead:
            offset += lead.end()
            stripped = stripped[lead.end() :]
        if not stripped:
            return None
        low = stripped.lower()
        if low in ("he", "she", "it", "they", "we", "i", "you", "him", "her", "them", "us", "me"):
            gender = {"he": "m", "him": "m", "she": "f", "her": "f"}.get(low, "")
            return _Ref("pronoun", stripped, offset, offset + len(stripped), None, gender)
        # A name, at the end of the phrase ('Tory leader Michael Howard'), possibly with 'of X'.
        if leading:
            m = _CAPRUN_START.match(stripped)
            if m and m.end() < len(stripped) and not re.fullmatch(r"\s*", stripped[m.end() :]):
                tail = stripped[m.end() :].strip()
                if re.match(r"(?:of|from|at|for|with)\b", tail) and self._personal(m.group()):
                    stripped = stripped[: m.end()]
        for pm in _NAME_THEN_PREPOSITION.finditer(stripped):
            if self._personal(pm.group(1)):
                stripped = stripped[: pm.end(1)]  # 'economist Gary Thayer of AG Edwards & Sons'
                break
        m = _CAPRUN_END.search(stripped)
        if m is None or (whole and m.start() != 0):
            return self._common_noun(stripped, offset, whole)
        name_text = m.group()
        prefix = stripped[: m.start()]
        # 'Mike Smith of Gartner': the person, not the firm.
        of = re.match(rf"({_CAPRUN}) (?:of|from|at)(?: the)? ", name_text)
        if of and self._personal(of.group(1)):
            name_text = of.group(1)
        if prefix.rstrip().endswith(("'s", "’s")) and not self._personal(name_text):
            return _Ref("unnamed", stripped, offset, offset + len(stripped))
        tokens = name_text.split(" ")
        while len(tokens) > 1 and tokens[-1] in _POSTNOMINALS:
            tokens.pop()  # 'Peter Ainsworth MP'
        # Split capitalised role and organisation words off the front: 'Foreign Secretary Jack
        # Straw', 'Environmental Audit Committee Peter Ainsworth'.
        split = _name_split(tokens)
        if split == len(tokens) and self._surname_of_person(tokens[-1]):
            split = len(tokens) - 1  # 'May said:' after 'Guitarist Brian May'
        role_words = tokens[:split]
        name_tokens = tokens[split:]
        if not name_tokens or (len(name_tokens) == 1 and (
            (name_tokens[0].rstrip(".") in _NOT_NAMES and not self._surname_of_person(name_tokens[0]))
            or name_tokens[0].lower() in _ROLE_HEADS
        )):
            return self._common_noun(stripped, offset, whole)
        if len(name_tokens) == 1 and name_tokens[0].endswith("s") and name_tokens[0][:-1].lower() in _ROLE_HEADS:
            return _Ref("unnamed", stripped, offset, offset + len(stripped))  # 'MPs have warned'
        if len(name_tokens) == 1 and not role_words and prefix.lower().rstrip().endswith("the") and (
            name_tokens[0] in _NATIONALITIES or name_tokens[0] in _DEMONYMS
        ):
            return self._common_noun(stripped, offset, whole)  # 'said the German': a description, not a name
        before = prefix.split()
        if len(before) >= 2 and before[-1] in ("for", "of", "to") and before[-2].islower() and _is_personal_noun(before[-2]):
            # 'a spokesman for Michael Howard', 'a friend of Ms Smith': someone else speaks of or for the person.
            return _Ref("unnamed", stripped, offset, offset + len(stripped), None, _gender_of_words(before))
        if re.search(r"\b(?:for|of|at|from|with|in|on|by|to|about|against|behind|over|under|after|before|into|across|between|without|within|through)\s", prefix + " ") and not self._personal(name_text):
            # 'a spokesman for the LSE': the speaker is the spokesman, not the LSE.
            return self._common_noun(stripped, offset, whole)
        name_start = offset + m.start() + len(" ".join(tokens[: len(tokens) - len(name_tokens)])) + (1 if len(name_tokens) < len(tokens) else 0)
        name = " ".join(name_tokens)
        role_text = (prefix + " ".join(role_words)).strip()
        role = _prefix_role(role_text) if role_text else None
        if role is None and appositive:
            role = _appositive_role(appositive)
        gender = _PERSON_TITLES.get(name_tokens[0], "")
        return _Ref("name", name, name_start, name_start + len(name), role, gender)

    def _surname_of_person(self, word: str) -> bool:
        """'May' in 'May said' is Brian May's surname when the article names him in full, not the month."""
        return any(p.person and len(p.name.split()) >= 2 for p in self.by_surname.get(word, ()))

    def _common_noun(self, stripped: str, offset: int, whole: bool) -> _Ref | None:
        """'the Tory leader' (a role to resolve), 'a spokesman' or 'analysts' (unnamed)."""
        lead = _CAPRUN_START.match(stripped)
        possessive = lead is not None and stripped[lead.end() : lead.end() + 2] in ("'s", "’s")
        if lead and not possessive and lead.end() < len(stripped) and _has_role_head(stripped[lead.end() :]) and self._personal(lead.group()):
            # 'Dr Mike Watts head of exploration said': the commas left out.
            named = self._classify(lead.group(), offset, appositive=None, whole=True)
            if named is not None and named.kind == "name":
                tail = stripped[lead.end() :]
                # 'Tony Blair is urging European leaders to ...': a predicate after the name is no role.
                role = None if _PREDICATE_START.match(tail) else _clean_role(tail)
                return _Ref("name", named.text, named.start, named.end, role, named.gender)
        words = stripped.split()
        if not words or len(words) > 8:
            return None
        det = words[0].lower()
        if det in ("his", "her") and len(words) <= 3 and words[-1].lower().strip(",") in _DOCUMENT_NOUNS:
            # 'His sales pitch adds:', 'Her statement said': the person's own words, as 'he' or 'she' would be.
            return _Ref("pronoun", words[0], offset, offset + len(words[0]), None, "m" if det == "his" else "f")
        if any(w.endswith(("'s", "’s")) for w in words[:-1]):
            # "the prime minister's official spokesman": someone's spokesman, not the minister
            return _Ref("unnamed", stripped, offset, offset + len(stripped), None, _gender_of_words(words))
        if det == "the" and len(words) >= 2:
            return _Ref("role", stripped, offset, offset + len(stripped), None, _gender_of_words(words))
        if whole:
            return None
        return _Ref("unnamed", stripped, offset, offset + len(stripped), None, _gender_of_words(words))

    def _after_the(self, start: int, tokens: list[str]) -> bool:
        """True when a capitalised run follows a preposition and 'the' and opens with no title or first name: a
        publication, a body or a place ('in the Daily Telegraph', 'to the Evening Standard'), not a person."""
        first = tokens[0] if tokens else ""
        if first in _PERSON_TITLES or first in _MALE_NAMES or first in _FEMALE_NAMES:
            return False
        return bool(_PREPOSITION_THE.search(self.frame, max(0, start - 20), start))

    def _personal(self, name_text: str) -> bool:
        tokens = name_text.split(" ")
        if tokens[0] in _PERSON_TITLES:
            return True
        people = self.by_surname.get(tokens[-1], [])
        return any(p.person for p in people) or (len(tokens) >= 2 and self._looks_personal(tokens) and (tokens[0] in _MALE_NAMES or tokens[0] in _FEMALE_NAMES))

    # -- resolution ----------------------------------------------------------------------------

    def _speaker(self, ref: _Ref) -> Speaker | None:
        if ref.kind == "name":
            return self._named(ref)
        if ref.kind == "pronoun":
            if ref.text.lower() == "it":
                return None  # 'it said': an organisation or a document, no person
            person = self._antecedent(ref)
            if person is None:
                return None
            return Speaker(person.name, self._role_of(person), ref.start, ref.end)
        if ref.kind == "role":
            head = ref.text.split()[-1].lower().strip(",.")
            person = self._role_holder(ref)
            if person is not None:
                return Speaker(person.name, self._role_of(person) or _clean_role(ref.text), ref.start, ref.end)
            words = {_role_word(w) for w in ref.text.split()[1:]}
            personal = head in _ROLE_HEADS or head in _PERSON_NOUNS or head.endswith("-old") or bool(words & _PERSON_NOUNS)
            if (head in _ORG_NOUNS or head in _MEDIA_NOUNS) and not (words & _PERSON_NOUNS):
                return None  # 'the company said': organisations are no speakers
            if personal:
                return self._current_speaker(ref) or self._lead_speaker(ref)
            return None  # 'the report', 'the statement': a document is no person
        if ref.kind == "unnamed":
            return self._lead_speaker(ref)
        return None

    def _lead_speaker(self, ref: _Ref) -> Speaker | None:
        """News style's lead: '..., a leading industry figure has said.' or '..., the courts minister has told MPs.'
        opens the story on one unnamed person, and the next paragraph names them as it goes on with their words
        ('Tim Renner, the head of Universal Music Germany until last year, told ...'). Only for the story's first
        paragraph and one person ('a/an/another ...' or 'the ...' ending in a person's noun, never 'MPs' or 'critics');
        the next paragraph's first named person speaking, a role needing that person's role to hold its last word."""
        if len(self.paragraphs) < 3 or not self._in_title(self.paragraphs[0][0]):
            return None
        lead, follow = self.paragraphs[1], self.paragraphs[2]
        if not lead[0] <= ref.start < lead[1]:
            return None
        words = ref.text.lower().strip(",. ").split()
        if len(words) < 2 or words[0] not in ("a", "an", "another", "the"):
            return None
        head = words[-1]
        if head in _ANONYMOUS_NOUNS or not (head in _ROLE_HEADS or head in _PERSON_NOUNS or head in _LEAD_NOUNS):
            return None
        if (ref.kind == "role") != (words[0] == "the"):
            return None
        first = self._sentence_of(follow[0])
        for j in range(first, min(first + 2, len(self.sentences))):
            s_start, s_end = self.sentences[j]
            if s_start >= follow[1]:
                break
            subject = self._speech_subject(s_start, min(s_end, follow[1]))
            if subject is None:
                continue
            if subject.kind != "name":
                return None
            person = self._mention_at(subject.start, subject.end)
            if person is None or not person.person or person.organisation:
                return None
            role = self._role_of(person) or subject.role
            if ref.kind == "role" and not (role and _role_word(head) in {_role_word(w) for w in role.lower().split()}):
                return None
            return Speaker(person.name, role or _clean_role(ref.text), ref.start, ref.end)
        return None

    @staticmethod
    def _age_or_origin(text: str) -> bool:
        """'the 20-year-old', 'the Czech', 'the Scot', 'the Frenchman': a description news style uses for the
        person the story was just about, not a role someone else may hold."""
        words = text.lower().strip(",. ").split()
        if not 2 <= len(words) <= 3 or words[0] != "the":
            return False
        # 'the 20-year-old', 'the Czech', 'the 24-year-old Swiss'
        return all(w.endswith("-year-old") or w.capitalize() in _NATIONALITIES or w in _ORIGIN_NOUNS for w in words[1:])

    def _current_speaker(self, ref: _Ref) -> Speaker | None:
        """'the Conservative leader said' when no one was given that role: the person who spoke
        in this sentence or the two before it, if a named person did (news style re-describes the
        speaker it is quoting)."""
        k = self._sentence_of(ref.start)
        para = self._paragraph_of(ref.start)
        gender = ref.gender
        for j in range(k - 1, max(-1, k - 4), -1):
            s_start, s_end = self.sentences[j]
            if self._paragraph_of(s_start) < para - 1:
                return None
            hi = min(s_end, ref.start)
            speech = self._sentence_speech(s_start, hi, self.previous, stance=True)
            if speech is None:
                # Only sentences about the same 'he' may stand between ('He opted to ...').
                # Only sentences about the same 'he' may stand between ('He opted to ...', 'But
                # despite her problems, she still won ...'): a pronoun and no one named.
                pronoun = _SUBJECT_PRONOUN.search(self.frame, s_start, hi)
                named = [m for m in self._mentions_in(s_start, hi) if m[2].person and not m[3] and self._subject_like(s_start, m[0], m[1])]
                if pronoun and not named and (not gender or (pronoun.group(1).lower() == "he") == (gender == "m")):
                    gender = gender or ("m" if pronoun.group(1).lower() == "he" else "f")
                    continue
                opener = named[0] if named and j == k - 1 and _SENTENCE_OPENING.fullmatch(self.frame, s_start, named[0][0]) else None
                if opener is not None and self._age_or_origin(ref.text) and opener[2].gender in ("", gender or opener[2].gender):
                    # 'Minar, ranked 158th, was forced to pull out ... "...," said the 20-year-old': the sentence
                    # just before opens with the person an age or a nationality re-describes.
                    person = opener[2]
                    return Speaker(person.name, self._role_of(person) or _clean_role(ref.text), ref.start, ref.end)
                return None
            if speech is None:
                continue
            if isinstance(speech, Speaker):
                person = self.people.get(speech.name)
            elif speech.kind == "name":
                found = self._named(speech)
                if found is None:
                    return None
                person = self.people.get(found.name)
                if person is None:
                    return Speaker(found.name, found.role or _clean_role(ref.text), ref.start, ref.end)
            elif speech.kind == "pronoun" and speech.gender:
                person = self._antecedent(speech)
            else:
                return None
            if person is None or not person.person or person.gender not in ("", gender or person.gender):
                return None
            # No role was written next to the name: the one the article gives them here counts.
            return Speaker(person.name, self._role_of(person) or _clean_role(ref.text), ref.start, ref.end)
        return None

    def _named(self, ref: _Ref) -> Speaker | None:
        """The speaker a name stands for, as first given in full; None for an organisation (the
        labelling convention: a person speaks, "Microsoft said" is unattributed)."""
        tokens = ref.text.split(" ")
        words = [t for t in tokens if t not in _PERSON_TITLES]
        titled = tokens[0] in _PERSON_TITLES
        surname = words[-1] if words else tokens[-1]
        person = self._mention_at(ref.start, ref.end)
        if person is None:
            person = self._lookup(surname, " ".join(words), ref.start, tokens[0] if titled else "")
        if person is None:
            if len(words) == 1 and words[0] in self.quoted_names:
                # Named in full only inside a quotation ('fantastic skill by Damien Duff').
                return Speaker(self.quoted_names[words[0]], ref.role, ref.start, ref.end)
            personal = titled or (len(words) >= 2 and _looks_personal(tuple(words))) or (
                len(words) == 1 and (words[0] in _FIRST_NAMES or (ref.role is not None and _is_personal_noun(ref.role)))
            )
            if not personal:
                return None
            name = " ".join(t for t in tokens if t not in _DROPPED_TITLES) if len(words) >= 2 else ref.text
            return Speaker(name, ref.role, ref.start, ref.end)
        if not person.person:
            parts = person.name.split()
            introduced = ref.role is not None and len(parts) == 2 and parts[0] in _FIRST_NAMES  # 'coach Mike Friday'
            if person.organisation or not (titled or introduced or (len(parts) >= 2 and _looks_personal(tuple(parts)))):
                return None
            person.person = True
        role = self._role_of(person) or ref.role
        return Speaker(person.name, role, ref.start, ref.end)

    def _role_of(self, person: _Person) -> str | None:
        """The role given next to the first full mention of a person, else next to another one."""
        if person.roles is not None and person.roles and person.roles[0][0] == -1:
            return person.roles[0][1] or None
        found: str | None = None
        fallback: str | None = None
        for s, e, p, _ in self.mentions:
            if p is not person:
                continue
            role = self._role_near(s, e)
            if s == person.first and role:
                found = role
                break
            if role and fallback is None:
                fallback = role
        role = found or fallback
        person.roles = [(-1, role or "")]
        return role

    def _role_near(self, start: int, end: int) -> str | None:
        """'Tory leader Michael Howard', 'Tofig Zulfugarov, former ... Minister,', 'The Shadow
        Secretary ..., Theresa May,': the role written next to a name mention."""
        frame = self.frame
        line_start = frame.rfind("\n", 0, start) + 1
        before = frame[max(line_start, start - 160) : start]
        # Prefix: 'Tory leader ', 'the Trade and Industry Secretary '
        if before and not before.endswith((", ", "(", "\"", "“")):
            cut = max(before.rfind(ch) for ch in ",.;:!?\"“”()\n")
            role = _prefix_role(before[cut + 1 :])
            if role:
                return role
        # 'ROLE, NAME,'
        if before.endswith(", ") and (frame[end : end + 1] in (",", ".", ";", ":", "") or frame[end : end + 2] == " -"):
            body = before[:-2]
            cut = max(body.rfind(ch) for ch in ",.;:!?\"“”()\n")
            words = body[cut + 1 :].split()
            stops = [i for i, w in enumerate(words) if w in _SPEECH_SET or w in _BOUNDARY_WORDS or w.lower() in _AUXILIARIES]
            chunk = " ".join(words[stops[-1] + 1 :] if stops else words)
            if _has_role_head(chunk):
                return _clean_role(chunk)
        # 'NAME, ROLE,' / 'NAME, ROLE.'
        after = frame[end : min(len(frame), end + 160)]
        am = re.match(r",\s*((?:[^,.;:!?\"“”\n()]|\.(?=\w)){2,120}?)(?=[,;:]|\.(?!\w)|\s*$|\s+(?:" + _VERB_WORDS + r")\b)", after)
        if am:
            return _appositive_role(am.group(1))
        am = re.match(r"\s*\(([^()\n]{2,60})\)", after)
        if am and _has_role_head(am.group(1)):
            return _clean_role(am.group(1))
        return None

    def _antecedent(self, ref: _Ref) -> _Person | None:
        """The person a pronoun stands for: in the nearest sentence back naming a person of the
        pronoun's gender, the subject of its speech verb, else its first such person."""
        gender = ref.gender
        if not gender:
            return None  # 'they', 'it', 'we': groups are not named people
        k = self._sentence_of(ref.start)
        para = self._paragraph_of(ref.start)
        # The pronoun's own sentence is skipped: in 'Mr Blair has failed, he claimed' the reported
        # words never hold the reporter.
        chained = False
        for j in range(k - 1, max(-1, k - 8), -1):
            s_start, s_end = self.sentences[j]
            if self._paragraph_of(s_start) < para - 3:
                break
            hi = min(s_end, ref.start)
            candidates = []
            i = bisect.bisect_left(self.mention_starts, s_start)
            while i < len(self.mentions) and self.mentions[i][0] < hi:
                s, e, person, possessive = self.mentions[i]
                if not possessive and person.person and person.gender in ("", gender):
                    candidates.append((s, e, person))
                i += 1
            subject = self._speech_subject(s_start, hi)
            opening = _OPENING_PRONOUN.match(self.frame, s_start, hi)
            # 'Dr Fox refused to discuss reports that ... after he said ...': a pronoun speaking inside a
            # subordinate clause is someone else, and the sentence belongs to the person it opens with.
            subordinate = (
                subject is not None
                and subject.kind == "pronoun"
                and _SUBORDINATOR_BEFORE.search(self.frame, max(s_start, subject.start - 12), subject.start) is not None
            )
            if j < k and (
                (not subordinate and subject is not None and subject.kind == "pronoun" and subject.gender == gender)
                or (opening and opening.group(1)[0].lower() == ("h" if gender == "m" else "s"))
            ):
                chained = True
                continue  # 'He said ...' before: the same person again, named further back
            if subject is not None and not subordinate:
                if subject.kind == "unnamed" and subject.gender in ("", gender) and _is_personal_noun(subject.text):
                    return None  # 'a spokesman said ... he said': an unnamed person
                if subject.kind == "name":
                    person = self._mention_at(subject.start, subject.end)
                    # 'Antonio "LA" Reid, chairman of ..., said:': a speaker the sentence introduces by a role is
                    # a person though the name alone does not show it, and the one a pronoun after it stands for.
                    introduced = subject.role is not None and _looks_personal(tuple(subject.text.split()))
                    if person is None and introduced and subject.text[:1].isupper():
                        return _Person(subject.text, subject.start, subject.text.split()[-1], person=True, roles=[(-1, subject.role or "")])
                    if person is not None and (person.person or (introduced and not person.organisation)) and person.gender in ("", gender):
                        return person
                if subject.kind == "role" and subject.gender in ("", gender):
                    # 'The Tory co-chairman attacked ... and said Mr Blair was ...': the speech's subject is
                    # the person holding that role, never the man the sentence talks about.
                    holder = self._role_holder(subject)
                    if holder is not None and holder.person and holder.gender in ("", gender):
                        return holder
            if chained:
                # Past 'he said' sentences the same man is being followed back to where he was named: the
                # first person a sentence names ('Newcastle boss Graeme Souness is lining up a move for
                # Michael Owen'), unless another subject opens it ('They could picture Michael Howard or
                # Tony Blair doing it').
                if _OTHER_SUBJECT.match(self.frame, s_start, hi):
                    continue
                candidates = candidates[:1]
            if candidates:
                # The clause subject; else the person named last ('despite having D'Arcy out,
                # ... the return of skipper O'Driscoll'), unless a preposition makes them what the sentence is
                # about ('fined for his comments about Thierry Henry', 'negotiations for striker Fernando
                # Morientes. He said:'): then nobody is guessed.
                subjects = [c for c in candidates if self._subject_like(s_start, c[0], c[1])]
                if subjects:
                    return subjects[0][2]
                last = candidates[-1]
                if self._object_of_sentence(s_start, last[0], last[1]) and self._someone_else(s_start, last[0], gender, len(candidates)):
                    return None
                return last[2]
            owners = {p.name: p for s, e, p, possessive in self._mentions_in(s_start, hi) if possessive and p.person and p.gender in ("", gender)}
            same = re.search(r"\b(?:he|He)\b" if gender == "m" else r"\b(?:she|She)\b", self.frame[s_start:hi])
            other = (_HIS_KIN if gender == "m" else _HER_KIN).search(self.frame, s_start, hi) is not None
            if other:
                # 'introduced by his son Nick ... "...," he said': a man no name list knows stands nearer than
                # anyone named; the son may be the one speaking, so nobody is guessed.
                return None
            if len(owners) == 1 and not same:
                return next(iter(owners.values()))  # 'surprised by Greer's decision. ... she told'
        return None

    def _object_of_sentence(self, s_start: int, start: int, end: int) -> bool:
        """A mention the sentence talks about rather than one who speaks in it: after a preposition or a verb taking
        an object ('for his comments about Thierry Henry', 'beat Tommy Robredo'), but not in a role ('minister of
        sport Jaime Lissavetzky'), after a speech verb ('thinks Tim Danton') or before a relative clause of their
        own ('a debut nomination for Staunton, 49, who told ...'), nor the one a question was put to."""
        words = self.frame[max(s_start, start - 80) : start].split()
        role = False
        for back in range(1, min(len(words), 6) + 1):
            word = words[-back]
            role = role or _role_head(word)
            if not word.islower() and back > 1 and not role:
                return False  # a capitalised word between: 'Baros insisted', a name or a place
            if not word.islower() and back > 1:
                continue  # 'talking to Real Madrid sporting director Emilio Butragueno': the role's own words
            if word in _SPEECH_SET or word in _STANCE_VERBS:
                return False  # 'thinks Tim Danton', 'gamers said Lindsay Schroth'
            if word not in _OBJECT_HEADS:
                continue
            before = words[-back - 1].strip(",;:").lower() if back < len(words) else ""
            if word == "of" and _role_head(before):
                return False  # 'minister of sport Jaime Lissavetzky'
            if word == "to" and before in ("put", "according", "explained", "replied", "responded"):
                return False  # 'it was put to Mr Kinnock', 'according to Mr Smith'
            return re.match(r"(?:,[^,.;:!?]{1,40},)?\s*who\b", self.frame[end : end + 60]) is None
        return False

    def _someone_else(self, s_start: int, start: int, gender: str, named: int) -> bool:
        """Whether a sentence holds someone besides the person named at `start` who may be the one speaking: another
        person of the gender named in it (possessive or not), a pronoun of the gender before it ('which he founded
        with Damon Dash'), or a person described in its opening words ('The United boss said ...')."""
        if named > 1:
            return True
        if any(m[0] < start and m[2].person and m[2].gender in ("", gender) for m in self._mentions_in(s_start, start)):
            return True
        pronouns = r"\b(?:he|his|him)\b" if gender == "m" else r"\b(?:she|her)\b"
        if re.search(pronouns, self.frame[s_start:start], re.I):
            return True
        opening = _SENTENCE_OPENING.match(self.frame, s_start, start)
        words = self.frame[opening.end() if opening else s_start : start].split()[:6]
        return bool(words) and words[0].lower() in ("the", "a", "an") and _is_personal_noun(" ".join(words[1:]))

    def _mentions_in(self, lo: int, hi: int) -> list[tuple[int, int, _Person, bool]]:
        i = bisect.bisect_left(self.mention_starts, lo)
        out = []
        while i < len(self.mentions) and self.mentions[i][0] < hi:
            out.append(self.mentions[i])
            i += 1
        return out

    def _subject_like(self, s_start: int, start: int, end: int) -> bool:
        """A mention that opens a clause and is followed by its verb ('but McIlroy is unfazed'),
        not one after a preposition or followed by 'of' ('Antonio Reina of Spain')."""
        before = self.frame[max(s_start, start - 30) : start]
        # A full stop before it opens a new sentence the splitter did not see ('... 6-4 5-7 6-3. Mirza, ranked ...').
        if before.strip() and not re.search(r"(?:^|[,;:(—–.!?-]|\b(?:and|but|while|as|when|because|although|so|yet|then|[A-Z][a-z]+))\s*$", before):
            return False
        tail = self.frame[end : end + 300]
        after = re.match(r"\s*(?:,[^,]{1,80},\s*)?([a-z]+)", tail)
        if after is not None and after.group(1) not in _STOP_ROLE_WORDS - {"has", "have", "had", "is", "was", "will", "would", "said", "says", "told", "added", "also", "can", "could", "should", "may", "might", "must"}:
            return True
        # Two or three asides, then the person's own speech verb ('Dr Greenspan, 79, who has been in the UK ..., said').
        asides = re.match(r"\s*(?:,[^,.;:!?\"“”]{1,120}){2,3}?,\s*([a-z]+)", tail)
        return asides is not None and asides.group(1) in _SPEECH_SET

    def _speech_subject(self, s_start: int, hi: int) -> _Ref | None:
        """Who speaks in a sentence: its 'according to X' source, else its first speech verb's subject."""
        verbs = self._verbs_between(s_start, hi)
        for v_start, v_end in verbs:
            if self.frame[v_start:v_end].lower().startswith("according"):
                return self._verb_subject(s_start, v_start, v_end, hi)
        finite = [v for v in verbs if self.frame[v[0] : v[1]] not in _PARTICIPLES]
        for v_start, v_end in finite or verbs:
            return self._verb_subject(s_start, v_start, v_end, hi)
        return None

    def _role_holder(self, ref: _Ref) -> _Person | None:
        """The person named before 'the Tory leader' whose role holds all its words."""
        words = [_role_word(w) for w in ref.text.split()[1:]]
        words = [w for w in words if w and w not in ("also",)]
        if not words or words[-1].rstrip("s") not in _ROLE_HEADS and words[-1] not in _ROLE_HEADS:
            return None
        if self.role_table is None:
            # Once per article: every mention with the words of the roles given to its person.
            self.role_table = []
            for s, e, person, _ in self.mentions:
                roles = [r for r in (self._role_of(person), self._role_near(s, e)) if r]
                if roles:
                    self.role_table.append((s, person, [{_role_word(w) for w in r.split()} for r in roles]))
        wanted = set(words)
        for s, person, role_sets in reversed(self.role_table):
            if s >= ref.start:
                continue
            for have in role_sets:
                # 'the prime minister' is not the Deputy Prime Minister
                if wanted <= have and not ((have - wanted) & _RANK_WORDS):
                    return person
        return None

    # -- inheritance ---------------------------------------------------------------------------

    def _inherit(self, raw: _Raw, first_sent: int, previous: list) -> _Ref | Speaker | None:
        """A quotation whose own sentence names nobody: a lead-in ('X said:' / 'According to him,
        ...:') or the speech it continues in one of the two sentences before it, in this or the
        previous paragraph. Past that, or past a sentence speaking of someone else, nobody."""
        para = self._paragraph_of(raw.start)
        if self._in_title(raw.start):
            return None
        own = self.sentences[first_sent][0]
        if any(m[2].person and not m[3] and (self._subject_like(own, m[0], m[1]) or _OPENING_WORDS.fullmatch(self.frame, own, m[0]))
               for m in self._mentions_in(own, raw.start)):
            # 'Britain's Rod Stewart introduced Percy Sledge, citing his hit as "..."': the sentence is about someone
            # named in it, so the speech of the sentences before does not carry over to its quotation.
            return None
        for j in range(first_sent - 1, max(-1, first_sent - 3), -1):
            s_start, s_end = self.sentences[j]
            p = self._paragraph_of(s_start)
            if p < para - 1 or self._in_title(s_start):
                return None
            narrative = self.frame[s_start:s_end].rstrip()
            if narrative.endswith("?"):
                return None  # the reporter's question: the quotation after it answers it
            ref = self._sentence_speech(s_start, s_end, previous, stance=j == first_sent - 1)
            if ref is not None:
                if isinstance(ref, Speaker) or ref.kind != "unnamed":
                    return ref
                return None
            if j == first_sent - 1 and narrative.endswith(":") and not self._introduced(s_start, s_end):
                return None  # 'The proposed question is:': a lead-in naming no speaker
            if j == first_sent - 1 and not self.frame[self.sentences[first_sent][0] : raw.start].strip():
                introduced = self._introduced(s_start, s_end)
                if introduced is not None:
                    return introduced
        return None

    def _introduced(self, s_start: int, s_end: int) -> _Ref | None:
        """The person a sentence opens on ('Liberal Democrat foreign affairs spokesman Menzies
        Campbell repeated his party's calls ...'), for a quotation standing right after it: news
        style introduces the speaker, then quotes them."""
        head = self.frame[s_start:s_end]
        if re.match(r"\s*(?:[\"“”‘’']|x)", head):
            return None  # a sentence that is itself a quotation
        for s, e, person, possessive in self._mentions_in(s_start, min(s_end, s_start + 120)):
            if not person.person and not possessive and self.frame[e : e + 1] == " ":
                continue  # 'Liberal Democrat' in 'Liberal Democrat spokesman Menzies Campbell'
            if possessive or not person.person:
                return None
            lead = self.frame[s_start:s]
            opener = re.match(
                r"\s*(?:[A-Z][a-z]+ing|Asked|Interviewed|In|On|At|For|With|During|Despite|Following|After|Before|When|While|As|Since|Although|Though|If|Shortly|Earlier|Later)\b[^,.;:]{0,100},\s*",
                lead,
            )
            if opener:
                lead = lead[opener.end() :]  # 'Writing in the Guardian newspaper, Mr Brown outlined ...'
            # Only lead words or a role may come before the name ('But', 'Tory leader').
            if lead.strip() and not re.fullmatch(r"\s*(?:(?:But|And|Meanwhile|However|Now|Also|Former|Ex-)\s+)?(?:[\w'’\-]+\s+){0,8}", lead):
                return None
            if lead.strip() and not (_prefix_role(lead) or re.fullmatch(r"\s*(?:(?:But|And|Meanwhile|However|Now|As|For)\s+)?", lead)):
                return None
            rest = self.frame[e:s_end]
            if rest.rstrip().endswith(":"):
                # A lead-in opening on its speaker: '- Burnley boss Steve Cotterill:', 'As Gavin Cox
                # of buildyourown.org.uk put it:', 'Drummer Larry Mullen Jr echoed those sentiments:'
                return _Ref("name", self.frame[s:e], s, e, None, person.gender)
            after = re.match(r"\s*(?:,[^,]{1,120},\s*)?(?:(?:has|had|have|also|then|later|again|is|was)\s+)*([a-z]+)", rest)
            if after is None or after.group(1) in _STOP_ROLE_WORDS:
                return None
            return _Ref("name", self.frame[s:e], s, e, None, person.gender)
        return None

    def _sentence_speech(self, s_start: int, s_end: int, previous: list, stance: bool = False) -> _Ref | Speaker | None:
        """Who speaks in a sentence: the speaker of a quotation in it, else a speech verb's subject.
        With `stance`, 'Kerr applauded the move.' counts too (for the sentence right before)."""
        # `previous` is in text order: the last quotation starting in the sentence speaks for it.
        i = bisect.bisect_left(previous, (s_end,)) - 1
        if i >= 0 and s_start <= previous[i][0] < s_end:
            q_start, ref, speaker = previous[i]
            if speaker is not None:
                return speaker
            if ref is not None:
                return ref
            return _Ref("unnamed", "", q_start, q_start)
        for v_start, v_end in self._verbs_between(s_start, s_end):
            if self.frame[v_start:v_end] in _STANCE_VERBS:
                if not stance:
                    continue  # 'X welcomed the plan.' two sentences back is no speech a quotation continues
                ref = self._verb_subject(s_start, v_start, v_end, s_end)
                if ref.kind == "name" or (ref.kind == "pronoun" and ref.gender):
                    return ref
                continue
            return self._verb_subject(s_start, v_start, v_end, s_end)
        return None


# ---------------------------------------------------------------------------------------------
# Small helpers


@dataclass(frozen=True)
class _Run:
    """A capitalised run: offsets and text (what re.Match gives, for runs found by _capital_runs)."""

    begin: int
    finish: int
    text: str

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish

    def group(self) -> str:
        return self.text


def _capital_runs(text: str, lo: int = 0, hi: int | None = None) -> Iterator[_Run]:
    """Maximal runs of capitalised words ('Tory leader Michael Howard' gives 'Michael Howard'),
    never starting inside a word ('eBay'); 'al-Sistani', "d'Estaing" keep their particle."""
    hi = len(text) if hi is None else hi
    pos = lo
    while True:
        m = _CAPRUN_SCAN.search(text, pos, hi)
        if m is None:
            return
        start, end = m.span()
        if start > lo and (text[start - 1].isalnum() or text[start - 1] in "_-'’"):
            j = start - 1
            if text[j] in "-'’":
                k = j
                while k > lo and text[k - 1].isalpha():
                    k -= 1
                if text[k:j] in _NAME_PREFIXES and (k == lo or not text[k - 1].isalnum()):
                    yield _Run(k, end, text[k:end])
                    pos = end
                    continue
            space = text.find(" ", start, end)
            pos = space + 1 if space >= 0 else end
            continue
        yield _Run(start, end, m.group())
        pos = end


@functools.lru_cache(maxsize=65536)
def _looks_personal(words: tuple[str, ...]) -> bool:
    """Capitalised words that can be a person's name: no organisation or sentence word, no acronym."""
    if len(words) > 4:
        return False
    for i, w in enumerate(words):
        bare = w.rstrip(".")
        if bare in _ORG_WORDS or bare in _NOT_NAMES:
            if not (bare in _FIRST_NAMES and (i == 0 or words[i - 1] in _FIRST_NAMES)) and not (
                bare in _SURNAME_ORG_WORDS and i == len(words) - 1 and i > 0
                and (words[i - 1] in _MALE_NAMES or words[i - 1] in _FEMALE_NAMES)
            ):
                return False
        if len(bare) > 1 and bare.isupper():
            return False
        if any(c.isdigit() for c in bare):
            return False
    return True


def _name_split(tokens: list[str]) -> int:
    """Index where the name starts in a capitalised run: after its leading sentence words ('But',
    'On Monday'), its last role word ('Foreign Secretary Jack Straw') or an organisation word
    followed by a name ('Audit Committee Peter Ainsworth'). The last token always stays, and a word
    after a first name is part of the name ('Theresa May', 'Carole King', 'Jan Berry')."""
    keep = 0
    last = len(tokens) - 1
    for i, t in enumerate(tokens[:last]):
        bare = t.rstrip(".")
        after_first_name = i > 0 and tokens[i - 1] in _FIRST_NAMES
        if after_first_name:
            continue
        if "-" in bare and (any(part in _HYPHEN_WORDS for part in bare.lower().split("-")) or _adjective_compound(bare)):
            keep = i + 1  # 'Man-of-the-match Duff', '26-year-old', 'Oscar-nominated Owen', 'Coffee-loving Curry'
        elif (bare in _NOT_NAMES or bare in _LEAD_WORDS) and keep == i and not (
            tokens[i + 1][0].isupper() and bare in _FIRST_NAMES and i + 1 == last
        ):
            keep = i + 1
        elif bare.lower() in _ROLE_HEADS and not (i == 0 and last == 1 and t in _FIRST_NAMES):
            keep = i + 1  # 'Chairman Smith'; but 'Dean Boyd' is a first name and a surname
        elif t in _PERSON_TITLES and i > 0 and tokens[i + 1][0].isupper():
            keep = i  # 'GDC Mr Allard'
        elif i > 0 and t in _FIRST_NAMES and last - i <= 2 and keep < i and tokens[i - 1] not in _PERSON_TITLES:
            keep = i  # 'Lib Dem Norman Baker', 'Families Margaret Hodge': the name starts at a first name
        elif len(bare) > 1 and bare.isupper() and keep == i and last - i >= 2 and tokens[i + 1] in _FIRST_NAMES:
            keep = i + 1  # 'DJ Mike Read'
        elif (bare in _NATIONALITIES or bare in _DEMONYMS) and keep == i and last - i >= 2:
            keep = i + 1  # 'Russian Dmitriy Bogdanov', 'Swede Joachim Johansson'
        elif bare in _ORG_WORDS and len(tokens) - i - 1 <= 3:
            nxt = tokens[i + 1]
            if nxt in _PERSON_TITLES or nxt in _MALE_NAMES or nxt in _FEMALE_NAMES:
                keep = i + 1
    if tokens and keep == last and (tokens[last].rstrip(".") in _NOT_NAMES or tokens[last].lower() in _ROLE_HEADS):
        keep = len(tokens)
    return keep


_ORGANISATION_BEFORE = re.compile(
    r"(?:\b(?:brokerage|bank|firm|retailer|insurer|broker|offices of|analysts? at|economists? at|manager at|director at|"
    r"executive at|officer at|strategist at|spokes(?:man|woman|person) at|analysts? with|economists? with))\s+$",
    re.IGNORECASE,
)
"""Words before a name that make it an organisation's: 'brokerage Merrill Lynch', 'marketing manager at Snappy Snaps'."""
_DOCUMENT_NOUNS = frozenset(
    "statement letter website blog message note pitch book autobiography memoir column article speech e-mail email "
    "posting advert manifesto tweet diary biography".split()
)
"""What a person writes: 'His statement said:' quotes him, where 'His lawyer said:' quotes someone else."""
_RELATIVE_SUBJECT = re.compile(r"\b(?:who|whom|which)\s+(?:he|she|they|it|we|I)\s+$")
_OPENING_WORDS = re.compile(r"(?:[A-Z][\w\-]*(?:['’]s)?\s+)*")
"""Capitalised words, possessive or not, before a name that opens its sentence ('Britain's Rod Stewart')."""
_OBJECT_AFTER_VERB = re.compile(r"\s+(?:for|on|to|with|about|from|at|of|that|it|this|them|him|her)\b")
_PREPOSITION_FIRST = re.compile(r"\s*(?:of|for|with|to|by|from|about|against|between|among)\s")
_INNER_DOT = re.compile(r"(?<=\w)\.(?=\w)")


def _last_boundary(text: str, chars: str) -> int:
    """The offset of the last of `chars` in `text` (-1 when none), a full stop inside a word ('Shopping.com') being
    no boundary."""
    if "." in chars and "." in text:
        text = _INNER_DOT.sub("_", text)
    return max(text.rfind(ch) for ch in chars)


_SPOKEN_AFTER = re.compile(rf"\s+(?:(?:he|she|they|I|we)\s+(?:{_VERB_WORDS})\b|(?:{_VERB_WORDS})\b|(?:the|a|an)\s+[\w\-]+(?:\s+[\w\-]+)?\s+(?:{_VERB_WORDS})\b|(?:Mr|Mrs|Ms|Dr)?\s*[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+)?\s+(?:{_VERB_WORDS})\b)")
"""A verb of speaking right after a closing mark: '," he said', '," said Mr Smith', '," the youngster said'."""
_ROLE_OPENERS = frozenset("And But Or So Yet However Meanwhile Also Now Then Fellow".split())
_ROLE_VERBS = frozenset("did does do found finds impress impressed singled was were is are been has have had told said says".split())
_ROLE_PARTICLES = frozenset("not by out up to of for with from at in on the a an".split())


def _tidied(speaker: Speaker | None) -> Speaker | None:
    """The speaker with its role tidied (see _tidy_role)."""
    if speaker is None or not speaker.role:
        return speaker
    role = _tidy_role(speaker.role)
    return speaker if role == speaker.role else replace(speaker, role=role)


def _tidy_role(role: str) -> str | None:
    """A role as a reader should see it, or None when what was read is no role: sentence words off its front ('But
    the chairman of Migration Watch UK'), only what follows a verb ('did not impress Tory shadow education secretary',
    'Ms Love found musician'), nothing from a list of names ('And players like Stephen Jones'); what is cut must leave
    a role's head noun ('Fellow' alone is none). A role read whole is kept as it is."""
    words = role.split()
    if any(w.lower() == "like" and nxt[:1].isupper() for w, nxt in zip(words, words[1:])):
        return None
    cut = False
    while words and (words[0].strip(",") in _ROLE_OPENERS or (cut and words[0].lower() in ("the", "a", "an"))):
        words.pop(0)
        cut = True
    verbs = [i for i, w in enumerate(words[:-1]) if w in _ROLE_VERBS]
    if verbs:
        words = words[verbs[-1] + 1 :]
        cut = True
    while cut and words and words[0].lower() in _ROLE_PARTICLES:
        words.pop(0)
    text = " ".join(words).strip(" ,;:")
    if not cut:
        return role
    return text if text and _has_role_head(text) else None


def _adjective_compound(word: str) -> bool:
    """'Oscar-nominated', 'Coffee-loving': a capitalised word joined to a lower-case one describes, it names nobody
    ('Ross-van Dorp' keeps its particle)."""
    tail = word.rsplit("-", 1)[1]
    return len(tail) > 3 and tail[:1].islower() and tail not in _PARTICLE_WORDS


def _role_head(word: str) -> bool:
    """A role's head noun: 'leader', 'MPs', 'co-chairman'."""
    low = word.lower().strip(",.")
    return low in _ROLE_HEADS or low.rstrip("s") in _ROLE_HEADS or low.rsplit("-", 1)[-1] in _ROLE_HEADS


def _role_word(word: str) -> str:
    """A role word compared without case, punctuation or possessive: "Lloyd's" -> "lloyd"."""
    word = word.lower().strip(",.;:()")
    word = word[:-2] if word.endswith(("'s", "’s")) else word
    return _COUNTRY_OF.get(word, word)


_COUNTRY_OF = {
    "french": "france", "english": "england", "scottish": "scotland", "welsh": "wales", "irish": "ireland",
    "british": "britain", "italian": "italy", "spanish": "spain", "german": "germany", "dutch": "holland",
    "australian": "australia", "argentine": "argentina", "argentinian": "argentina", "brazilian": "brazil",
    "portuguese": "portugal", "swedish": "sweden", "russian": "russia", "japanese": "japan", "chinese": "china",
    "indian": "india", "greek": "greece", "belgian": "belgium", "swiss": "switzerland", "kiwi": "new zealand",
}
"""'the French coach' holds the role of 'France coach Bernard Laporte': a nationality compared as its country."""


_HIS_KIN = re.compile(r"\b(?:his|her|their|a|an)\s+(?:\w+\s+)?(?:son|father|brother|husband|boyfriend|partner|stepson|nephew|uncle)\b", re.I)
_HER_KIN = re.compile(r"\b(?:his|her|their|a|an)\s+(?:\w+\s+)?(?:daughter|mother|sister|wife|girlfriend|partner|stepdaughter|niece|aunt)\b", re.I)
"""Someone else of the pronoun's gender brought in without a name ('his son Nick', 'her younger sister')."""


def _gender_of_words(words: list[str]) -> str:
    low = {w.lower().strip(",.") for w in words}
    if low & _FEMALE_WORDS:
        return "f"
    if low & _MALE_WORDS:
        return "m"
    return ""


def _one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by one letter changed, added or dropped, the first letter the same ('Barrot',
    'Barot'; 'Abbot', 'Abbott')."""
    if a[:1] != b[:1] or abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _is_personal_noun(text: str) -> bool:
    low = {w.lower().strip(",.") for w in text.split()}
    return bool(low & (_ROLE_HEADS | _FEMALE_WORDS | _MALE_WORDS))


def _has_role_head(text: str) -> bool:
    words = [w.lower().strip(",.'’") for w in re.findall(r"[\w'’\-]+", text)]
    return any(w in _ROLE_HEADS or w.rstrip("s") in _ROLE_HEADS for w in words)


def _clean_role(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"^(?:the|a|an|The|A|An)\s+", "", text)
    return text.strip(" ,;:")


def _prefix_role(text: str) -> str | None:
    """The role words just before a name: 'Tory leader', 'Trade and Industry Secretary'; none in
    'a spokesman for Michael Howard' (the spokesman is someone else)."""
    words = text.split()
    if words and words[-1].lower() in ("for", "of", "at", "to", "with", "by", "from", "on", "about", "against", "and"):
        return None
    kept: list[str] = []
    for n in range(len(words) - 1, -1, -1):
        w = words[n]
        bare = w.strip(",")
        if bare != w and kept:
            break
        low = bare.lower()
        if n > 0 and words[n - 1].lower() in _AUXILIARIES:
            break  # 'has signed Roma defender X': the verb is no part of the role
        inner_the = low == "the" and n > 1 and words[n - 1].lower() in ("of", "for") and words[n - 2].lower().strip(",") in _ROLE_HEADS
        complement = low in ("of", "for") and n > 0 and words[n - 1].lower().strip(",") in _ROLE_HEADS
        if (low in _STOP_ROLE_WORDS and low != "and" and not inner_the and not complement) or bare in _TIME_WORDS or bare in _LEAD_WORDS:
            break
        if low in _SPEECH_SET or low in _PARTICIPLES or low in _ROLE_STOP_VERBS or bare in ("-", "–", "—"):
            break  # 'an executive spokeswoman insisted Mr McConnell ...' 
        if low in ("between", "among", "amongst"):
            break  # 'a meeting between Fiat boss Sergio Marchionne and ...'
        if low.endswith("ing") and bare.isalpha() and bare.islower() and low not in _ROLE_GERUNDS and n > 0 and words[n - 1].lower() in _GERUND_LEADS:
            break  # 'by appointing psychologist Dave Collins', 'in allowing Arsenal striker Thierry Henry' 
        if any(c.isdigit() for c in bare) and not re.fullmatch(r"\d+-year-old", bare):
            break
        kept.append(bare)
        if len(kept) >= 12:
            break
    while kept and kept[-1].lower() in ("and", "of", "for", "the"):
        kept.pop()
    kept.reverse()
    # The role must end with its head noun ('spokeswoman for women' keeps its complement).
    heads = [i for i, w in enumerate(kept) if _role_head(w)]
    if not heads:
        return None
    last = heads[-1]
    tail = kept[last + 1 :]
    if tail and not (tail[0].lower() in ("for", "of") and len(tail) <= 4):
        kept = kept[: last + 1]
    while kept and kept[0].lower() in ("and", "of", "for"):
        kept.pop(0)
    role = " ".join(kept)
    return role or None


def _appositive_role(text: str) -> str | None:
    """'former Azerbaijani Foreign Minister' / 'a senior economist with the OECD' / 'who ...' (no)."""
    text = re.split(r"\s[-–—]\s", text)[0].strip()
    # 'spokesperson for the BSA which commissioned the survey', '... has been into music'
    text = re.split(r"\s(?:who|which|that|whose|has|have|had|is|was|were|are|will|would|quoted|said|says|told)\b", text)[0].strip()
    if re.fullmatch(r"[A-Z][\w\-]*", text):
        return None  # 'Will Young, Queen, Kate Bush': a list of names
    if not text or re.match(r"(?:who|which|whose|speaking|writing|asked|talking|said|says|added|told|however|though|too|also|in|on|at|after|when|while|and|but|adding|saying|known|dubbed|nicknamed)\b", text):
        return None
    if _PREDICATE_START.match(text):
        return None  # 'Tessa Jowell, has hit out at critics of the Gambling Bill.': a predicate, no role
    if re.fullmatch(r"\d{1,3}", text):
        return None
    if len(text.split()) > 14:
        return None
    if not _has_role_head(text) and not re.match(r"(?:the|a|an|former|chief|head|senior|deputy|acting)\b", text, re.I):
        return None
    return _clean_role(text) or None


def _content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower())
    stop = _SMALL_WORDS | {"is", "are", "was", "were", "be", "it", "that", "this", "they", "we", "must", "will", "not", "as", "so"}
    return {w[:5] for w in words if w not in stop and len(w) > 2}
